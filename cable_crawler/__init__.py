"""cable_crawler: crawls Foreign Policy's column The Cable into clean JSON Lines."""

SCHEMA_VERSION = "1.1.0"
