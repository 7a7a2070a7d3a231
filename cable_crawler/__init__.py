"""cable_crawler: crawls Foreign Policy's column The Cable into clean JSON Lines."""

SCHEMA_VERSION = "1.3.0"

# Importing the package changes nothing in Scrapy: the scrapy-splash shim
# (crawl/splash_compat.py) is applied by crawl/splash.py, the one module that imports
# scrapy_splash; the Public Suffix List switch is set by settings.py.
