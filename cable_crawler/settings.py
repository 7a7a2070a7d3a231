"""Scrapy settings for cable_crawler. Every choice here is deliberate; see docs/operations.md and docs/design.md.

This module is the one place each CABLE_* default is written. Components read
`settings.getint("CABLE_X", defaults.CABLE_X)` with `from cable_crawler import settings as
defaults`, so a crawler built without these settings (a script, a unit test) gets the same
values (tests/test_site_boundary.py fails on a literal default elsewhere)."""

import os

# The Public Suffix List comes from the copy bundled with tldextract, never from the network.
# Scrapy's CookiesMiddleware asks tldextract whether a cookie's domain is a public suffix, and
# on first use tldextract downloads that list from publicsuffix.org or GitHub with `requests`:
# outside Scrapy's downloader, timeouts, robots.txt, the site boundary and the shutdown signals
# (a slow answer from that host held a crawl 148 s, SIGTERM unheeded). An empty
# TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS is tldextract's documented switch (>= 5.4) for "fetch
# nothing". Set here because every way of running a crawl (scrapy crawl, Scrapyd, shell,
# parse, fetch) loads this module before Scrapy imports its cookie middleware. Not chosen:
# COOKIES_ENABLED = False would only hide the problem until cookies are turned on again, and
# replacing Scrapy's module-level extractor would rely on private names.
os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""

from cable_crawler.items import ARTICLE_FIELDS


BOT_NAME = "cable_crawler"
SPIDER_MODULES = ["cable_crawler.spiders"]
NEWSPIDER_MODULE = "cable_crawler.spiders"
# Our `crawl` checks spider arguments first: one-line error, exit 2, no request sent.
COMMANDS_MODULE = "cable_crawler.operations.commands"

# Say who we are; operators can add a contact with -s USER_AGENT=...
USER_AGENT = "cable_crawler/0.1 (+https://github.com/cable-crawler/cable_crawler; The Cable archive crawler)"
ROBOTSTXT_OBEY = True

# Politeness: AutoThrottle adapts the delay to the site's latency.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Scrapy runs a callback's output through the spider middlewares and pipelines with this
# many asyncio workers per response (default 100: 100 tasks made for each page). Our
# pipelines are synchronous and an article page gives one item, an index page ~20
# requests: more workers buy nothing; fewer saved ~6% of a crawl's CPU (make bench).
CONCURRENT_ITEMS = 8
# Scrapy's check that a generator callback returns no value reads the callback's source
# and parses it with ast: its cache holds the callback by a weak reference, and each
# request's bound method is a new one, dropped with the request. For parse_article that was
# 1.3 ms a parse, ~0.5 s of a 1,000-article crawl's CPU (1,050 checks, 280 parses); it is an
# async generator now, which the check skips, but the index and API callbacks are not.
# tests/test_spider.py runs the same check on every generator method of the spider instead.
WARN_ON_GENERATOR_RETURN_VALUE = False
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 4
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Waits between retries: 1, 2, 4, 8 s (with jitter), or the server's Retry-After, at most 60 s.
CABLE_RETRY_BACKOFF_BASE = 1.0
CABLE_RETRY_BACKOFF_MAX = 60.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "cable_crawler.middlewares.BackoffRetryMiddleware": 550,
    # After the retries: a site that cannot be reached at all stops the crawl with one line.
    "cable_crawler.middlewares.UnreachableSiteMiddleware": 540,
    # Our subclass of Scrapy's OffsiteMiddleware, in its place: Scrapy's rule compares host
    # names only and drops an off-site redirect at scheduling time without calling the
    # errback (a silent loss). Ours checks host *and* port (extraction/boundary.py) and refuses
    # in process_request: the errback reports it.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "cable_crawler.middlewares.SameSiteMiddleware": 50,
    # scrapy-splash, as its documentation requires (they act only on requests sent to Splash);
    # named through crawl/splash.py, which applies the compatibility shim before importing them.
    "cable_crawler.crawl.splash.SplashCookiesMiddleware": 723,
    "cable_crawler.crawl.splash.SplashMiddleware": 725,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 810,
}
# Not enabled: scrapy_splash.SplashDeduplicateArgsMiddleware. Its docs ask for it only to
# support `cache_args`, which this project does not use, and it does not support Scrapy
# 2.13's asynchronous spider output (the crawl would refuse to start).
# Splash-aware request fingerprints (scrapy-splash >= 0.9 replaces SplashAwareDupeFilter
# and SplashAwareFSCacheStorage with this fingerprinter; identical for plain requests).
REQUEST_FINGERPRINTER_CLASS = "cable_crawler.crawl.splash.SplashRequestFingerprinter"

# JavaScript rendering through Splash: off unless -a render=splash or SPLASH_URL is set.
SPLASH_URL = os.environ.get("SPLASH_URL", "")
SPLASH_USER = os.environ.get("SPLASH_USER", "")
SPLASH_PASS = os.environ.get("SPLASH_PASS", "")
CABLE_SPLASH_DEFAULT_URL = "http://127.0.0.1:8050"
CABLE_SPLASH_WAIT = 1.0               # seconds after load, for lazy images and injected content
CABLE_SPLASH_TIMEOUT = 30             # Splash's own render timeout
CABLE_SPLASH_RESOURCE_TIMEOUT = 10    # per resource (scripts, XHR)
CABLE_SPLASH_IMAGES = 0               # image bytes are not needed to read a page

# JavaScript rendering in Chromium through scrapy-playwright: off unless -a render=playwright
# (crawl/playwright.py installs scrapy-playwright's download handler for that crawl only).
CABLE_CHROMIUM_PATH = os.environ.get("CABLE_CHROMIUM_PATH", "")  # empty: chromium on PATH (Debian's package)
CABLE_PLAYWRIGHT_WAIT = 1.0            # seconds after the load event, for content scripts add late
CABLE_PLAYWRIGHT_TIMEOUT = 30          # seconds: the browser's launch and a page's navigation
CABLE_PLAYWRIGHT_MAX_PAGES = 8         # pages open at once (each closed once read)
# Scrapy's request fingerprints, except that redirect loops are not hidden as duplicates.
DUPEFILTER_CLASS = "cable_crawler.crawl.dupefilter.RedirectLoopAwareDupeFilter"
# A column index page lists 10-20 articles; a page listing thousands is broken or hostile.
CABLE_MAX_INDEX_ENTRIES = 200
# Many CMSs serve the last page (or page 1) again for every ?results-page=N past the end:
# paging stops after this many index pages in a row that bring no entry new to the walk.
CABLE_MAX_STALE_INDEX_PAGES = 2
# Index pages read per crawl, a safety net far above the column's archive (0: no cap).
CABLE_MAX_INDEX_PAGES = 5000
# WordPress REST API (-a source=api|both): posts per API page (WordPress allows 1-100).
CABLE_WP_API_PER_PAGE = 100
# Completeness pass (source=api|both): posts the API lists that neither the crawl state nor this
# crawl has, requested per run after the index walks, newest first (the rest wait for the next run).
CABLE_COMPLETENESS_MAX = 100
# Articles that failed (5xx, timeout, connection) in earlier runs, requested again per run...
CABLE_RETRY_FAILED_MAX = 50
# ...until they failed in this many runs (then given up, with the reason in the rejects file).
CABLE_FAILED_MAX_ATTEMPTS = 5
# Reading one article page takes well under a second; a page that takes longer than this
# is rejected and the crawl goes on.
CABLE_MAX_PARSE_SECONDS = 10
# Article pages are read in this many worker processes beside the crawl, on other cores
# (crawl/page_reader.py); 0: in the crawl's own process, on the reactor thread.
CABLE_READER_PROCESSES = 1
# Scrapy stops downloading while its scraper holds more than this many bytes of responses (default
# 5 MB). With pages read in a worker the downloads run ahead of the reading; at 5 MB (~125 pages
# waiting) the crawl's process of a 10,000-article crawl grew to ~145 MiB against ~120 MiB at 1 MB,
# at the same speed (~25 pages waiting keep the worker busy).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
# Python's cyclic collector runs after this many allocations (net) while the engine runs,
# not 700: reading a page allocates thousands of short-lived objects (crawl/gc_threshold.py).
# 0: Python's default.
CABLE_GC_THRESHOLD = 10_000
# 4xx other than 408/429 are final: hand them to the spider's errback for the rejects file.
HTTPERROR_ALLOW_ALL = False
REDIRECT_ENABLED = True
REDIRECT_MAX_TIMES = 5
# A page is at most a few hundred KB; anything far larger is hostile or broken.
# The limit also applies to decompressed bodies (gzip bombs): HttpCompressionMiddleware.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# A body shorter than its Content-Length is an error (retried), never a page.
DOWNLOAD_FAIL_ON_DATALOSS = True

ITEM_PIPELINES = {
    "cable_crawler.pipelines.ValidationPipeline": 100,
    "cable_crawler.pipelines.DeduplicationPipeline": 200,
    "cable_crawler.pipelines.RevisionPipeline": 250,
    "cable_crawler.pipelines.JsonLinesWriterPipeline": 300,
    # Spidermon's validation stats of what was written (the Schema monitor expects 0 errors),
    # without validating each item twice: in the place of Spidermon's ItemValidationPipeline.
    "cable_crawler.pipelines.WrittenItemsValidationPipeline": 800,
}
EXTENSIONS = {
    # First: hides credentials before Scrapy logs the overridden settings.
    "cable_crawler.crawl.redact.RedactSecrets": -1000,
    "cable_crawler.crawl.gc_threshold.GcThreshold": 0,
    # Reads the article pages, in a worker process (CABLE_READER_PROCESSES).
    "cable_crawler.crawl.page_reader.PageReader": 0,
    "cable_crawler.operations.summary.CrawlSummary": 500,
    # Incremental crawling: the crawl state, this run's writes, retries, JOBDIR resume, and the publish
    # step. Before Spidermon: it closes and publishes the output files before the close monitors check them.
    "cable_crawler.incremental.component.IncrementalCrawl": 0,
    "spidermon.contrib.scrapy.extensions.Spidermon": 500,
}

# `scrapy check cable`: contracts in the callbacks' docstrings (cable_crawler/crawl/contracts.py).
SPIDER_CONTRACTS = {
    "cable_crawler.crawl.contracts.OnBaseContract": 10,
    "cable_crawler.crawl.contracts.FilledContract": 20,
}

# Monitors (cable_crawler/operations/monitors.py): a failed check makes `scrapy crawl` exit non-zero.
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ("cable_crawler.operations.monitors.CrawlHealthSuite",)
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished"]
SPIDERMON_MAX_ERRORS = 25
CABLE_MAX_REJECTS = 25
# More than half of the articles read dropped as duplicates means the dedup keys are wrong
# (e.g. every canonical link names the home page); crawls under 20 articles are not judged.
CABLE_MAX_DUPLICATE_RATIO = 0.5
CABLE_DUPLICATE_RATIO_MIN_READ = 20
# Field coverage (Spidermon): the share of the articles written this crawl that have each field
# (an empty string or list counts as missing). Crawls writing fewer than CABLE_FIELD_COVERAGE_MIN_ITEMS
# articles (most incremental runs) are not judged: a rate over 1-4 articles says nothing.
SPIDERMON_ADD_FIELD_COVERAGE = True
SPIDERMON_FIELD_COVERAGE_SKIP_NONE = True  # a field set to null (no dek, no lead image) is not covered
SPIDERMON_DICT_FIELDS_COVERAGE_LEVELS = 0  # top-level fields only (not lead_image/caption ...): fewer stats lines
SPIDERMON_FIELD_COVERAGE_RULES = {
    "ArticleItem/url": 1.0,
    "ArticleItem/headline": 1.0,
    "ArticleItem/body": 1.0,
    "ArticleItem/published_at": 0.95,
    "ArticleItem/authors": 0.9,
    "ArticleItem/byline": 0.9,
    "ArticleItem/dek": 0.3,
    "ArticleItem/lead_image": 0.3,
}
CABLE_FIELD_COVERAGE_MIN_ITEMS = 5
# `make canary` (scripts/canary.py): how many of the newest articles it crawls.
CABLE_CANARY_ARTICLES = 8
# Article pages of no known layout (cable/layout/unknown): a new FP theme. Judged from
# CABLE_FIELD_COVERAGE_MIN_ITEMS article pages read.
CABLE_MAX_UNKNOWN_LAYOUT_RATIO = 0.2
# Articles found (read + known index entries) against the earlier runs of the same kind (mode,
# max_pages, since, until), kept in CABLE_STATE_DIR/stats/ (the last SPIDERMON_MAX_STORED_STATS runs):
# a run finding under CABLE_MIN_FOUND_RATIO x the median of the last CABLE_FOUND_HISTORY_RUNS fails.
STATS_CLASS = "cable_crawler.operations.monitors.StateDirStatsHistoryCollector"
SPIDERMON_MAX_STORED_STATS = 30
CABLE_FOUND_HISTORY_RUNS = 5
CABLE_MIN_FOUND_RATIO = 0.5

# Crawl state (SQLite): what earlier runs wrote, for incremental runs and revisions.
CABLE_STATE_DIR = "state"

# Distributed crawling (cable_crawler/distributed/, docs/operations.md "Several workers"): off while
# CABLE_REDIS_URL is empty; redis://host:port/db makes every `scrapy crawl cable` with it a worker of one
# crawl (scrapy-redis's scheduler and dupefilter, article claims in Redis), through this add-on.
ADDONS = {"cable_crawler.distributed.addon.DistributedAddon": 0}
CABLE_REDIS_URL = ""
CABLE_REDIS_CRAWL = ""              # the crawl's name in Redis keys ('' : the -a channel slug)
CABLE_WORKER_ID = ""                # '' : host name and process id
CABLE_REDIS_WORKER_TIMEOUT = 30.0   # a worker without a heartbeat for this long is dead: its requests go back
CABLE_REDIS_IDLE_TIMEOUT = 10.0     # queue empty and every worker idle this long: the crawl is over
CABLE_REDIS_SOCKET_TIMEOUT = 5.0    # seconds before a Redis call fails (then the worker stops, redis_lost)

# Output files: {stamp} is the crawl's start time in UTC, {channel} the -a channel slug.
CABLE_OUTPUT_DIR = "output"
CABLE_JSONL_FILE = "{channel}-{stamp}.jsonl"
CABLE_REJECTS_FILE = "rejects-{stamp}.jsonl"

# Scrapy's own feed exports (-o/-O) write the same UTF-8 JSON with stable keys.
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = list(ARTICLE_FIELDS)
# CSV cells hold list and dict fields (authors, body...) as JSON, not Python reprs or comma-joined text.
FEED_EXPORTERS = {"csv": "cable_crawler.operations.exports.JsonFieldsCsvItemExporter"}
# A run with nothing new leaves an earlier -o/-O file as it was (Scrapy would write `[]` over it);
# our `scrapy crawl` also refuses an -O that would replace an earlier export (commands/crawl.py).
FEED_STORE_EMPTY = False

LOG_LEVEL = "INFO"
# No telnet console: an open port and a password in the log, for nothing a crawl needs.
TELNETCONSOLE_ENABLED = False
# Nor Scrapy's remote control (2.19): an HTTP port that runs any Python code sent to it.
REMOTE_CONTROL_ENABLED = False
LOGSTATS_INTERVAL = 30.0
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
