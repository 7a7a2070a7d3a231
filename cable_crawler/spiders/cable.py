"""The `cable` spider: column index -> article pages -> ArticleItem.

It only navigates: which pages to request, in which window, and what to do
when a request fails. The WordPress REST API's part (its post list, the cross-check,
the completeness pass) is the WordPressApiSource mixin (spiders/wordpress_api.py).
Reading pages is in cable_crawler.extraction.pages, normalizing in the loaders,
validating/deduplicating/writing in the pipelines.
"""

from __future__ import annotations

import logging
from functools import cached_property

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written
from cable_crawler.crawl import playwright
from cable_crawler.crawl.args import parse_args
from cable_crawler.crawl.download_errors import download_error_reason
from cable_crawler.crawl.page_reader import CrawlPages, PageReader
from cable_crawler.crawl.parse_guard import ParseAbandoned, parse_time_limit
from cable_crawler.crawl.splash import SplashRequest, splash_args, splash_error, splash_url
from cable_crawler.distributed.addon import redis_url
from cable_crawler.extraction.boundary import is_on_site
from cable_crawler.extraction.pages.encoding import readable
from cable_crawler.extraction.pages.listing import ListingEntry, ListingPage, parse_listing
from cable_crawler.extraction.pages.markup import PAGE_LIMITS, MarkupTooCostly, PageCuts
from cable_crawler.extraction.processors import article_id, canonical_url, http_url, parse_datetime
from cable_crawler.incremental.component import IncrementalCrawl
from cable_crawler.incremental.unfinished import IndexWalk, retryable
from cable_crawler.items import PageFailure
from cable_crawler.spiders.priorities import index_page_priority, listed_article_priority
from cable_crawler.spiders.wordpress_api import WordPressApiSource

__all__ = ["CableSpider", "channel_name", "download_error_reason", "requested_url"]

COLUMN_NAME = "The Cable"

# The `column` field of a channel (-a channel=<slug>): known before any page is read, the same
# for every article of the crawl. A slug not listed here reads as its words capitalized
# ("china-brief" -> "China Brief"). The channel page's own h1.channel-title is only compared
# with it (a warning and cable/channel_title_differs when they differ), never used: a page's
# text must not change the column of the articles read before or without it (urls=, retries).
CHANNEL_NAMES = {
    "the-cable": "The Cable",
    "situation-report": "Situation Report",
    "morning-brief": "Morning Brief",
    "africa-brief": "Africa Brief",
    "china-brief": "China Brief",
    "south-asia-brief": "South Asia Brief",
    "latin-america-brief": "Latin America Brief",
    "flash-points": "Flash Points",
}


def channel_name(slug: str) -> str:
    """The display name of an FP channel slug (CHANNEL_NAMES, else its words capitalized)."""
    return CHANNEL_NAMES.get(slug) or " ".join(word.capitalize() for word in slug.split("-"))


def channel_path(slug: str) -> str:
    return f"/channel/{slug}/"


def requested_url(request) -> str | None:
    """The URL the crawl asked for: before redirects, and the page's own URL for Splash."""
    if request is None:
        return None
    url = (request.meta.get("redirect_urls") or [request.url])[0]
    if "splash" in request.meta:
        url = request.meta["splash"].get("args", {}).get("url", url)
    return url


class CableSpider(WordPressApiSource, scrapy.Spider):
    name = "cable"

    @staticmethod
    def check_arguments(**kwargs) -> None:
        """Raises ArgumentError for a bad -a value (called by our `scrapy crawl`)."""
        parse_args(**{k: v for k, v in kwargs.items() if k != "name"})

    def __init__(self, *args, **kwargs):
        self.args = parse_args(**{k: v for k, v in kwargs.items() if k != "name"})
        super().__init__(*args, **{k: v for k, v in kwargs.items() if k.startswith("_") or k == "name"})
        # No allowed_domains: Scrapy's OffsiteMiddleware would read it (host names, no port);
        # SameSiteMiddleware.should_follow applies extraction/boundary.is_on_site instead.
        self.splash_url = None
        self.rendering_errors_seen: set[str] = set()
        self.playwright = False     # -a render=playwright: pages rendered in Chromium (crawl/playwright.py)
        self.renderer_unavailable: str | None = None  # why the renderer asked for cannot be used
        # Article URLs this crawl requests: a page's canonical link may not claim another one's.
        self.article_urls = CrawlPages()
        self.start_api()  # WordPress REST API (-a source=api|both): spiders/wordpress_api.py
        self.html_started = False

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.requested_index: set[str] = set()        # index page URLs requested by this crawl
        spider.splash_url = splash_url(spider.args.render, crawler.settings)
        if spider.args.render == "playwright":
            try:
                # scrapy-playwright's download handler and Chromium's options, for this crawl only
                # (the settings are not frozen yet while the spider is being built).
                for name, value in playwright.playwright_settings(crawler.settings, spider.args.base_url).items():
                    crawler.settings.set(name, value, priority="spider")
                spider.playwright = True
            except playwright.BrowserMissing as error:
                # Said once by start(), which requests nothing; our `scrapy crawl` exits 1 with this line.
                spider.renderer_unavailable = f"render=playwright: {error}"
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        if spider.args.auth:
            # Scrapy's HttpAuthMiddleware sends them to this host only; never in a URL, redacted
            # from logs (the settings are not frozen yet while the spider is being built).
            user, password = spider.args.auth
            for name, value in (("HTTPAUTH_USER", user), ("HTTPAUTH_PASS", password),
                                ("HTTPAUTH_DOMAIN", spider.args.host)):
                crawler.settings.set(name, value, priority="spider")
        return spider

    @cached_property
    def incremental(self) -> IncrementalCrawl:
        """What earlier runs wrote, what this run writes, what to retry (incremental/component.py).
        Found on first use: Scrapy builds the spider before the extensions (Crawler.crawl)."""
        return IncrementalCrawl.of(self.crawler)

    @cached_property
    def page_reader(self) -> PageReader:
        """Where article pages are read: a worker process, or this one (crawl/page_reader.py)."""
        return PageReader.of(self.crawler)

    @cached_property
    def distributed(self):
        """The worker's part in a distributed crawl (cable_crawler/distributed/), or None. Not a
        worker: the coordinator, and Redis's client with it, are not even imported."""
        if not redis_url(self.settings):
            return None
        from cable_crawler.distributed.coordinator import DistributedCrawl

        return self.crawler.get_extension(DistributedCrawl)

    @property
    def index_url(self) -> str:
        return self.args.base_url + channel_path(self.args.channel)

    @property
    def column(self) -> str:
        return channel_name(self.args.channel)

    @property
    def rendering(self) -> str:
        """How pages are rendered, for the log: "none", "splash at URL (...)", "playwright: Chromium at PATH (...)"."""
        kinds = ",".join(self.args.render_pages)
        if self.splash_url:
            return f"splash at {self.splash_url} ({kinds})"
        if self.playwright:
            path = self.settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS").get("executable_path")
            return f"playwright: Chromium at {path} ({kinds})"
        return "none"

    async def start(self):
        a = self.args
        if self.renderer_unavailable:
            self.crawler.stats.set_value("cable/renderer_unavailable", self.renderer_unavailable)
            self.logger.error("rendering failed: %s; nothing requested", self.renderer_unavailable)
            return
        self.logger.info("crawling %s channel %s (%s): mode=%s since=%s until=%s max_pages=%s urls=%d render=%s"
                         " source=%s", a.base_url, a.channel, self.column, a.mode, a.since or "-", a.until or "-",
                         a.max_pages or "all", len(a.urls), self.rendering, a.source)
        if self.args.urls:
            for url in self.args.urls:
                yield self.article_request(url)
            return
        if self.args.source in ("api", "both"):
            # The API first: its records are all in hand before any article page is read
            # (cross-check); the index walk starts when the API paging stops (html_start).
            yield self.api_start_request()
            return
        for request in self.html_start():
            yield request

    def html_start(self, walk_index: bool | None = None):
        """The index walk (unless source=api), the walks to continue and the articles to retry."""
        if self.html_started:
            return
        self.html_started = True
        if walk_index is None:
            walk_index = self.args.source != "api"
        if not walk_index:
            yield from self.retry_requests()
            return
        yield self.index_request(self.index_url, page=1, walk=self.walk(self.index_url))
        for stored in self.incremental.walks_to_continue():
            # An earlier run stopped walking the archive here (max_pages, a failed page...): go on.
            if stored.url in self.requested_index:
                continue
            if not stored.url.startswith(self.index_url):
                # One state for every channel: the walks of another channel's index wait for its own runs.
                continue
            self.logger.info("continuing the archive walk at index page %d (%s): it stopped there because %s",
                             stored.page, stored.url, stored.reason)
            self.crawler.stats.inc_value("cable/archive_walks_resumed")
            walk = self.walk(stored.url, from_state=True, failures_before=stored.failures, first_page=stored.page)
            yield self.index_request(stored.url, page=stored.page, walk=walk)
        yield from self.retry_requests()

    def retry_requests(self):
        limit = self.settings.getint("CABLE_RETRY_FAILED_MAX", defaults.CABLE_RETRY_FAILED_MAX)
        retries = self.incremental.to_retry(limit)
        if retries:
            self.logger.info("requesting again %d article(s) that failed in earlier runs (CABLE_RETRY_FAILED_MAX=%d)",
                             len(retries), limit)
        for failed in retries:
            self.crawler.stats.inc_value("cable/failed_articles_retried")
            listing = {"url": failed.url, "signature": failed.listing_signature}
            yield self.article_request(failed.url, listing=listing, failed_runs=failed.runs)

    def walk(self, start_url: str, from_state: bool = False, failures_before: int = 0,
             first_page: int = 1) -> IndexWalk:
        """The walk of the column index that started at start_url (created on first use)."""
        return self.incremental.walk(start_url, from_state, failures_before, first_page)

    def walk_of(self, request) -> IndexWalk:
        # From the request's meta, so that a crawl resumed from JOBDIR finds its walks again.
        meta = request.meta.get("walk") or {"start": self.index_url}
        return self.walk(meta["start"], meta.get("from_state", False), meta.get("failures_before", 0),
                         meta.get("first_page", 1))

    def request(self, url: str, kind: str, callback, meta: dict | None = None, **kwargs) -> scrapy.Request:
        """A plain request, or one rendered by Splash or Playwright when this kind of page is."""
        meta = {"page_kind": kind, **(meta or {})}
        if self.splash_url and kind in self.args.render_pages:
            return SplashRequest(url, callback, endpoint="execute", args=splash_args(self.settings, self.args.host),
                                 splash_url=self.splash_url, errback=self.on_error, meta=meta, **kwargs)
        if self.playwright and kind in self.args.render_pages:
            meta.update(playwright.page_meta(self.settings))
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, **kwargs)

    def index_request(self, url: str, page: int, walk: IndexWalk | None = None) -> scrapy.Request:
        meta = {}
        if walk is not None:
            walk.pending = (url, page)
            meta["walk"] = {"start": walk.start_url, "from_state": walk.from_state,
                            "failures_before": walk.failures_before, "first_page": walk.first_page}
        self.requested_index.add(url)
        priority = index_page_priority(walk.place(page)) if walk is not None else 0
        return self.request(url, "index", self.parse_index, meta=meta, cb_kwargs={"page": page}, priority=priority)

    def article_request(self, url: str, entry: ListingEntry | None = None, listing: dict | None = None,
                        failed_runs: int = 0, priority: int = 0) -> scrapy.Request:
        # Canonical URL: tracking-parameter and #fragment variants hit the dupefilter.
        # `listing` (the index entry: URL, signature) travels with the request to the item or the
        # failure, and from there to the crawl state.
        meta = {}
        if entry is not None:
            listing = {"url": canonical_url(entry.url), "signature": entry.signature}
        if listing is not None:
            meta["listing"] = listing
        if failed_runs:
            meta["failed_runs"] = failed_runs  # earlier runs in which this URL failed
        url = canonical_url(url)
        self.article_urls.add(url)  # pages of this crawl: a canonical link naming one is not trusted
        self.incremental.requested(url, listing, failed_runs)
        self.page_reader.get_ready()  # a page on its way: a worker starts while it loads
        return self.request(url, "article", self.parse_article, meta=meta, priority=priority)

    def entry_keys(self, entry: ListingEntry) -> list[str]:
        """What identifies an index entry within a crawl: its canonical URL, and its id when listed."""
        keys = [canonical_url(entry.url)]
        if entry.post_id:
            keys.append(article_id(entry.post_id, entry.url))
        return keys

    def skip_reason(self, entry: ListingEntry) -> str | None:
        """Why an index entry needs no request ("written", "known"), or None to fetch it."""
        return self.incremental.skip_reason(entry, self.args.mode, self.args.refresh_days)

    def parse(self, response):
        """Default callback (`scrapy parse --spider=cable URL`): index or article by URL."""
        if "/channel/" in response.url:
            return self.parse_index(response)
        return self.parse_article(response)

    def parse_index(self, response, page: int = 1):
        """A column index page: requests for its articles and the next page.

        Contracts (`scrapy check cable [-a base_url=...]`, cable_crawler/crawl/contracts.py):
        @url https://foreignpolicy.com/channel/the-cable/
        @on_base
        @returns requests 2
        @returns items 0 0
        """
        walk = self.walk_of(response)
        walk.pending = None
        if not response.body.strip():
            yield self.index_page_failed(response, walk, page, "empty response", retry=True)
            return
        try:
            # The same guard as article pages: a hostile index must not block the reactor.
            with self.parse_limit():
                page_text = readable(response)
                listing = parse_listing(page_text)
        except ParseAbandoned as abandoned:
            self.crawler.stats.inc_value("cable/page_limits/parse_time")
            yield self.index_page_failed(response, walk, page, str(abandoned), retry=abandoned.by_shutdown)
            return
        except MarkupTooCostly as refused:
            yield self.index_page_failed(response, walk, page, str(refused), retry=False)
            return
        self.crawler.stats.inc_value("cable/index_pages")
        if page == 1 and not walk.from_state:
            self.check_channel_title(page_text)
        if not listing.entries:
            self.logger.warning("index page %s has no article entries", response.url)
        limit = self.settings.getint("CABLE_MAX_INDEX_ENTRIES", defaults.CABLE_MAX_INDEX_ENTRIES)
        if len(listing.entries) > limit:
            reason = (f"index page: {len(listing.entries)} entries, more than CABLE_MAX_INDEX_ENTRIES={limit};"
                      f" only the first {limit} followed")
            self.logger.error("%s: %s", response.url, reason)
            self.incremental.rejects.add(response.url, "page_failure", [reason],
                                                  {"url": response.url, "status": response.status})
            listing = ListingPage(entries=listing.entries[:limit], next_url=listing.next_url)
        on_site = []
        for entry in listing.entries:
            if self.on_site(entry.url):
                on_site.append(entry)
            else:
                # A column entry that points off the site (or is no URL) is never followed.
                self.crawler.stats.inc_value("cable/index_entries_offsite")
                self.logger.warning("index page %s: entry %r is not on %s: not followed",
                                    response.url, entry.url, self.args.base_url)
        skipped = []
        new_on_walk = 0
        for entry in on_site:
            keys = self.entry_keys(entry)
            new_on_walk += walk.first_seen(keys)
            if not self.args.in_window(entry.published):
                self.crawler.stats.inc_value("cable/index_entries_outside_window")
                continue
            reason = self.skip_reason(entry)
            if reason:
                skipped.append(entry)
                self.crawler.stats.inc_value(f"cable/index_entries_{reason}")
                continue
            if self.incremental.was_requested(keys[0]):
                # Listed again (a repeating index page, or another walk): requested once per crawl.
                # (By URL only: another URL with the same id may still be the one that answers.)
                self.crawler.stats.inc_value("cable/index_entries_repeated")
                continue
            yield self.article_request(entry.url, entry, priority=listed_article_priority(walk.place(page)))
        walk.stale = 0 if new_on_walk else walk.stale + 1

        since = self.args.since
        all_older = since is not None and listing.entries and all(
            e.published is not None and e.published < since for e in listing.entries)
        all_known = bool(on_site) and len(skipped) == len(on_site)
        max_stale = self.settings.getint("CABLE_MAX_STALE_INDEX_PAGES", defaults.CABLE_MAX_STALE_INDEX_PAGES)
        max_index_pages = self.settings.getint("CABLE_MAX_INDEX_PAGES", defaults.CABLE_MAX_INDEX_PAGES)
        next_url = listing.next_url if listing.next_url and self.on_site(listing.next_url) else None
        if all_older:
            # Below since= by choice, not unfinished; a walk resumed from an earlier run keeps its place.
            resume = {"url": response.url, "page": page, "reason": f"older than since={since}"}
            self.stop_paging(walk, page, "since", f"index page {page} is older than since={since}",
                             resume=resume if walk.from_state else None)
        elif all_known and not walk.from_state:
            # (A resumed walk goes on: articles the index pushed down since the earlier run are known.)
            self.stop_paging(walk, page, "known", f"index page {page} holds only known, unchanged articles")
        elif max_stale > 0 and walk.stale >= max_stale:
            pages = f"index page {page}" if walk.stale == 1 else f"index pages {page - walk.stale + 1}-{page}"
            self.stop_paging(walk, page, "stale", f"{pages} brought no new entry "
                             f"(CABLE_MAX_STALE_INDEX_PAGES={max_stale}): the index repeats itself",
                             level=logging.WARNING)
        elif self.args.max_pages is not None and walk.place(page) >= self.args.max_pages and next_url:
            self.stop_paging(walk, page, "max_pages", f"max_pages={self.args.max_pages} reached",
                             resume={"url": next_url, "page": page + 1, "reason": f"max_pages={self.args.max_pages}"})
        elif max_index_pages > 0 and self.crawler.stats.get_value("cable/index_pages", 0) >= max_index_pages and next_url:
            self.stop_paging(walk, page, "index_page_cap",
                             f"{max_index_pages} index pages read (CABLE_MAX_INDEX_PAGES)", level=logging.WARNING,
                             resume={"url": next_url, "page": page + 1, "reason": "CABLE_MAX_INDEX_PAGES"})
        elif next_url and next_url in self.requested_index:
            self.stop_paging(walk, page, "already_walked",
                             f"the next index page {next_url} was already requested by this crawl")
        elif next_url:
            yield self.index_request(next_url, page=page + 1, walk=walk)
        elif listing.next_url:
            reason = f"index page: next-page link {listing.next_url!r} is not on {self.args.base_url}"
            self.logger.error("%s: %s", response.url, reason)
            self.incremental.rejects.add(response.url, "page_failure", [reason],
                                                  {"url": response.url, "status": response.status})
            self.stop_paging(walk, page, "next_offsite", "the next-page link is off the site", level=logging.WARNING)
        else:
            self.stop_paging(walk, page, "last_page", f"index page {page} has no next page: the end of the index")

    def check_channel_title(self, response) -> None:
        """The channel page's h1.channel-title against the column name written (channel_name):
        a warning when they differ; the column stays the deterministic name."""
        title = " ".join(" ".join(response.css("h1.channel-title ::text").getall()).split())
        if title and title != self.column:
            self.crawler.stats.set_value("cable/channel_title_differs", title)
            self.logger.warning("channel %s: the channel page's title is %r, the column written is %r "
                                "(CHANNEL_NAMES in spiders/cable.py)", self.args.channel, title, self.column)

    def stop_paging(self, walk: IndexWalk, page: int, code: str, why: str, level: int = logging.INFO,
                    resume: dict | None = None) -> None:
        """Ends a walk of the index: one log line saying why, the reason in the stats
        (`cable/paging_stopped` for the walk from page 1, `cable/archive_walk_stopped`
        for one resumed from an earlier run), and where the next run goes on, if anywhere."""
        walk.stopped = code
        walk.pending = None
        walk.resume = {"failures": 0, **resume} if resume else None
        which = f"archive walk from {walk.start_url}: " if walk.from_state else ""
        then = f"; the next run goes on at {resume['url']}" if resume else ""
        self.logger.log(level, "%s%s: stop paging (%s)%s", which, why, code, then)
        self.crawler.stats.set_value("cable/archive_walk_stopped" if walk.from_state else "cable/paging_stopped",
                                     code)
        self.crawler.stats.inc_value(f"cable/paging_stopped/{code}")

    def index_failed(self, walk: IndexWalk, url: str, page: int | None, reason: str, retry: bool) -> str | None:
        """A walk's index page failed: the walk stops there. A failure that may pass leaves a
        resume point at that page (not for page 1, walked by every run), given up after
        CABLE_FAILED_MAX_ATTEMPTS runs; returns the give-up reason then."""
        page = page or 1
        if not retry:
            self.stop_paging(walk, page, "index_failed", f"index page {url} failed for good: {reason}",
                             level=logging.WARNING)
            return None
        if url == self.index_url and not walk.from_state:
            self.stop_paging(walk, page, "index_failed", f"index page {url} failed: {reason}", level=logging.WARNING)
            return None
        failures = (walk.failures_before if walk.from_state and url == walk.start_url else 0) + 1
        max_runs = self.settings.getint("CABLE_FAILED_MAX_ATTEMPTS", defaults.CABLE_FAILED_MAX_ATTEMPTS)
        if failures >= max_runs:
            given_up = f"index page: given up after {failures} failed runs (CABLE_FAILED_MAX_ATTEMPTS={max_runs})"
            self.stop_paging(walk, page, "index_failed", f"index page {url} failed: {reason}; {given_up}",
                             level=logging.WARNING)
            return given_up
        self.stop_paging(walk, page, "index_failed", f"index page {url} failed: {reason}", level=logging.WARNING,
                         resume={"url": url, "page": page, "reason": reason, "failures": failures})
        return None

    def on_site(self, url: str) -> bool:
        canonical = http_url(url)
        return canonical is not None and is_on_site(canonical, self.args.base_url)

    def parse_limit(self):
        """The time limit for reading one page (parse_guard.py); short once the crawl is stopping."""
        seconds, shutting_down = self.parse_limit_args()
        return parse_time_limit(seconds, shutting_down=shutting_down)

    def parse_limit_args(self) -> tuple[float, bool]:
        """(CABLE_MAX_PARSE_SECONDS, whether the crawl is stopping): parse_time_limit's arguments."""
        return (self.settings.getfloat("CABLE_MAX_PARSE_SECONDS", defaults.CABLE_MAX_PARSE_SECONDS),
                not self.crawler.crawling)

    def index_page_failed(self, response, walk: IndexWalk, page: int, why: str, retry: bool) -> PageFailure:
        """An index page that came back but could not be read: its walk stops there (a resume
        point when it may pass), and the page is reported."""
        given_up = self.index_failed(walk, response.url, page, why, retry=retry)
        failure = self.failure(response, f"index page: {why}", retry=retry)
        failure["given_up"] = given_up
        return failure

    def failure(self, response, reason: str, retry: bool = False) -> PageFailure:
        self.logger.error("giving up on %s: %s", response.url, reason)
        return self.page_failure(response.request, url=response.url, status=response.status, reason=reason,
                                 retry=retry)

    def page_failure(self, request, retry: bool, **fields) -> PageFailure:
        """A PageFailure that also says which request failed and whether a later run may try it again."""
        meta = request.meta if request is not None else {}
        return PageFailure(page_kind=meta.get("page_kind", "page"), requested_url=requested_url(request),
                           retry=retry, listing=meta.get("listing"), failed_runs=meta.get("failed_runs", 0),
                           **fields)

    async def parse_article(self, response):
        """An article page: one article item.

        @url https://foreignpolicy.com/2021/06/02/biden-putin-geneva-summit-expectations-arms-control-cyber/
        @on_base
        @returns items 1 1
        @returns requests 0 0
        @scrapes url headline body published_at authors byline
        @filled url headline body published_at authors byline
        """
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        html_type = not content_type or content_type.lower().startswith(("text/html", "application/xhtml"))
        # A page has a selector: HTML responses, and Splash's JSON responses that carry the rendered
        # page. Asked of the class: on the response, the property parses the whole page.
        if not hasattr(type(response), "selector") or not html_type:
            yield self.failure(response, f"article page: not an HTML page (Content-Type: {content_type or 'none'})")
            return
        if not response.body.strip():
            yield self.failure(response, "article page: empty response", retry=True)
            return
        fetched = canonical_url(response.url)
        read = self.page_reader.read(response, self.column, self.args.base_url, self.article_urls,
                                     *self.parse_limit_args())
        if isinstance(read, Deferred):  # read in the worker process: the crawl goes on meanwhile
            read = await maybe_deferred_to_future(read)
        if read.abandoned:  # too slow, or the crawl is shutting down: the crawl goes on
            self.crawler.stats.inc_value("cable/page_limits/parse_time")
            # A page left unread because the crawl was stopping is worth another try next run;
            # one that reads too slowly will read as slowly then.
            yield self.failure(response, f"article page: {read.abandoned}", retry=read.by_shutdown)
            return
        if read.error:  # a page we cannot read must be reported, not lost
            self.logger.error("cannot parse %s%s", response.url, f"\n{read.trace}" if read.trace else "")
            yield self.page_failure(response.request, url=response.url, status=response.status, retry=read.retry,
                                    reason=f"article page: parse error: {read.error}")
            return
        item = read.item
        self.report_cuts(response.url, read.cuts)
        self.crawler.stats.inc_value(f"cable/layout/{read.layout}")
        if read.layout == "unknown":
            self.logger.warning("page %s has no known layout: read from its JSON-LD, og:/meta data and generic"
                                " markup only", response.url)
        if read.canonical_ignored:
            canonical, why = read.canonical_ignored
            self.crawler.stats.inc_value("cable/canonical_ignored")
            self.logger.info("%s: canonical link %r ignored (%s): written under the fetched URL",
                             fetched, canonical[:200], why)
        item["fetched_url"] = fetched  # for the duplicate and conflict checks; not written
        if response.request is not None:
            self.incremental.answered(requested_url(response.request))  # a failure row, if any, is resolved
        if response.meta.get("listing"):
            item["listing"] = response.meta["listing"]  # for the crawl state; not written
        self.api_cross_check(item)
        published = parse_datetime(item.get("published_at"))
        if published is not None and not self.args.in_window(published.date()):
            self.crawler.stats.inc_value("cable/articles_outside_window")
            self.logger.debug("outside since/until window: %s (%s)", item["url"], item["published_at"])
            return
        yield item

    def report_cuts(self, url: str, cuts: PageCuts) -> None:
        """What a page had beyond what real pages have (PAGE_LIMITS): counted and logged."""
        if cuts:
            self.crawler.stats.inc_value("cable/pages_cut")
        for what, count in sorted(cuts.items()):
            self.crawler.stats.inc_value(f"cable/page_limits/{what}", count)
            if what == "jsonld_too_deep":
                self.logger.warning("page %s: %d JSON-LD block(s) nested too deep to parse: ignored", url, count)
            else:
                limit = PAGE_LIMITS.get(what, PAGE_LIMITS["candidates"])
                self.logger.warning("page %s: more %s than a real page has (limit %d): %d left out",
                                    url, what.replace("_", " "), limit, count)

    def splash_failure(self, reason: str, response) -> str:
        """When Splash itself failed (no answer, or an error of its own), the reason names it
        and the error, and the log says so once. A page's own HTTP error passes unchanged."""
        detail = splash_error(response.body) if response is not None else None
        if response is not None and detail is None:
            return reason  # the page's status, passed through by the Lua script
        reason = f"Splash at {self.splash_url}: {reason}" + (f" ({detail})" if detail else "")
        if reason not in self.rendering_errors_seen:
            self.rendering_errors_seen.add(reason)
            self.logger.error("rendering failed: %s", reason)
        return reason

    def playwright_failure(self, reason: str) -> str:
        """A page Playwright could not render: the reason names it. The browser's own failures
        (cannot start, crashed) are said once at ERROR; a page's timeout is the page's."""
        reason = f"Playwright: {reason}"
        if "Timeout" not in reason and reason not in self.rendering_errors_seen:
            self.rendering_errors_seen.add(reason)
            self.logger.error("rendering failed: %s", reason)
        return reason

    def unknown_channel(self, url: str) -> None:
        """The channel's own index page answered 404: no such channel. The crawl stops, and our
        `scrapy crawl` prints the stat cable/unknown_channel as its one-line error (exit status 2)."""
        message = f"unknown channel: {self.args.channel} ({url} answered 404)"
        self.crawler.stats.set_value("cable/unknown_channel", message)
        self.logger.error("%s; stopping the crawl", message)
        # Scheduled, not awaited (as middlewares.py does for site_unreachable).
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="unknown_channel"))

    def on_error(self, failure):
        """HTTP errors, timeouts, DNS and connection failures: recorded, never silent."""
        request = failure.request
        if failure.check(IgnoreRequest) and self.crawler.stats.get_value("cable/site_unreachable"):
            # The site cannot be reached: UnreachableSiteMiddleware said so once and stops the crawl.
            self.crawler.stats.inc_value("cable/not_requested_unreachable")
            return
        response = getattr(failure.value, "response", None)
        status = response.status if response is not None else None
        if status is not None:
            reason = f"HTTP {status}"
        else:
            maxsize = request.meta.get("download_maxsize", self.settings.getint("DOWNLOAD_MAXSIZE"))
            reason = download_error_reason(failure.value, maxsize, stopping=not self.crawler.crawling)
            if request.meta.get("playwright"):
                # Playwright's messages go on with a "Call log:" of browser pids and flags: the first line says it.
                reason = reason.splitlines()[0]
        retries = request.meta.get("retry_times", 0)
        if retries:
            reason += f" (gave up after {retries} retries)"
        # A failed redirect is reported under the URL the crawl asked for.
        url = requested_url(request)
        if "splash" in request.meta:
            reason = self.splash_failure(reason, response)
        elif request.meta.get("playwright") and response is None:
            reason = self.playwright_failure(reason)
        kind = request.meta.get("page_kind", "page")
        self.crawler.stats.inc_value(f"cable/failed_{kind}_pages")
        self.logger.error("giving up on %s page %s: %s", kind, url, reason)
        # Refused on purpose (off-site, redirect loop); an HTTP error is an IgnoreRequest too, told by its status.
        retry = retryable(status, ignored=status is None and failure.check(IgnoreRequest) is not None)
        given_up = None
        if kind == "index" and status == 404 and url == self.index_url:
            self.unknown_channel(url)
        if kind == "index":
            given_up = self.index_failed(self.walk_of(request), url, request.cb_kwargs.get("page"), reason, retry)
        yield self.page_failure(request, url=url, status=status, reason=f"{kind} page: {reason}", retry=retry,
                                given_up=given_up)
