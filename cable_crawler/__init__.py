"""cable_crawler: crawls Foreign Policy's column The Cable into clean JSON Lines."""

SCHEMA_VERSION = "1.3.0"

# Before anything imports scrapy_splash (settings name its middlewares): see splash_compat.
from cable_crawler.crawl import splash_compat  # noqa: E402, F401
# Before Scrapy builds its cookie middleware: see public_suffixes.
from cable_crawler.crawl import public_suffixes  # noqa: E402, F401