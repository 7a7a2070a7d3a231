"""The `cable` spider: column index -> article pages -> ArticleItem.

It only navigates: which pages to request, in which window, and what to do
when a request fails. Reading pages is in cable_crawler.pages, normalizing in
the loaders, validating/deduplicating/writing in the pipelines.
"""

from __future__ import annotations

from datetime import date, timedelta

import scrapy
from scrapy_splash import SplashRequest

from .. import ledger, rejects, state
from ..args import parse_args
from ..items import PageFailure
from ..pages.article import PAGE_LIMITS, PageCuts, load_article
from ..pages.encoding import readable
from ..pages.listing import ListingEntry, ListingPage, parse_listing
from ..middlewares import is_on_site
from ..parse_guard import ParseAbandoned, parse_time_limit
from ..processors import article_id, canonical_url, http_url, parse_datetime
from ..splash import splash_args, splash_error, splash_url

COLUMN_NAME = "The Cable"
COLUMN_PATH = "/channel/the-cable/"


class CableSpider(scrapy.Spider):
    name = "cable"

    @staticmethod
    def check_arguments(**kwargs) -> None:
        """Raises ArgumentError for a bad -a value (called by our `scrapy crawl`)."""
        parse_args(**{k: v for k, v in kwargs.items() if k != "name"})

    def __init__(self, *args, **kwargs):
        self.args = parse_args(**{k: v for k, v in kwargs.items() if k != "name"})
        super().__init__(*args, **{k: v for k, v in kwargs.items() if k.startswith("_") or k == "name"})
        self.allowed_domains = [self.args.host]
        self.splash_url = None
        self.splash_errors_seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.state_db = state.for_crawler(crawler)    # what earlier runs wrote
        spider.written = ledger.for_crawler(crawler)    # what this run (and the run it resumes) wrote
        spider.splash_url = splash_url(spider.args.render, crawler.settings)
        if spider.args.auth:
            # Scrapy's HttpAuthMiddleware sends them to this host only; never in a URL, redacted
            # from logs (the settings are not frozen yet while the spider is being built).
            user, password = spider.args.auth
            for name, value in (("HTTPAUTH_USER", user), ("HTTPAUTH_PASS", password),
                                ("HTTPAUTH_DOMAIN", spider.args.host)):
                crawler.settings.set(name, value, priority="spider")
        return spider

    @property
    def index_url(self) -> str:
        return self.args.base_url + COLUMN_PATH

    async def start(self):
        a = self.args
        self.logger.info("crawling %s: mode=%s since=%s until=%s max_pages=%s urls=%d render=%s", a.base_url,
                         a.mode, a.since or "-", a.until or "-", a.max_pages or "all", len(a.urls),
                         f"splash at {self.splash_url} ({','.join(a.render_pages)})" if self.splash_url else "none")
        if self.args.urls:
            for url in self.args.urls:
                yield self.article_request(url)
            return
        yield self.index_request(self.index_url, page=1)

    def request(self, url: str, kind: str, callback, meta: dict | None = None, **kwargs) -> scrapy.Request:
        """A plain request, or a SplashRequest when this kind of page is rendered."""
        meta = {"page_kind": kind, **(meta or {})}
        if self.splash_url and kind in self.args.render_pages:
            return SplashRequest(url, callback, endpoint="execute", args=splash_args(self.settings, self.args.host),
                                 splash_url=self.splash_url, errback=self.on_error, meta=meta, **kwargs)
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, **kwargs)

    def index_request(self, url: str, page: int) -> scrapy.Request:
        return self.request(url, "index", self.parse_index, cb_kwargs={"page": page})

    def article_request(self, url: str, entry: ListingEntry | None = None) -> scrapy.Request:
        # Canonical URL: tracking-parameter and #fragment variants hit the dupefilter.
        meta = {}
        if entry is not None:
            meta["listing"] = {"url": canonical_url(entry.url), "signature": entry.signature}
        return self.request(canonical_url(url), "article", self.parse_article, meta=meta)

    def skip_reason(self, entry: ListingEntry) -> str | None:
        """Why an index entry needs no request, or None to fetch it."""
        entry_id = article_id(entry.post_id, entry.url) if entry.post_id else None
        url = canonical_url(entry.url)
        if self.written.has(entry_id, url):
            return "written"  # by this crawl, or by the run it resumes
        if self.args.mode != "incremental":
            return None
        known = self.state_db.get(entry_id, url)
        if known is None or known.listing_signature != entry.signature:
            return None  # new, or the index shows a changed headline/dek/date
        recent = entry.published is not None and entry.published >= date.today() - timedelta(days=self.args.refresh_days)
        return None if recent else "known"

    def parse(self, response):
        """Default callback (`scrapy parse --spider=cable URL`): index or article by URL."""
        if COLUMN_PATH in response.url:
            return self.parse_index(response)
        return self.parse_article(response)

    def parse_index(self, response, page: int = 1):
        if not response.body.strip():
            yield self.failure(response, "index page: empty response")
            return
        listing = parse_listing(readable(response))
        self.crawler.stats.inc_value("cable/index_pages")
        if not listing.entries:
            self.logger.warning("index page %s has no article entries", response.url)
        limit = self.settings.getint("CABLE_MAX_INDEX_ENTRIES", 200)
        if len(listing.entries) > limit:
            reason = (f"index page: {len(listing.entries)} entries, more than CABLE_MAX_INDEX_ENTRIES={limit};"
                      f" only the first {limit} followed")
            self.logger.error("%s: %s", response.url, reason)
            rejects.for_crawler(self.crawler).add(response.url, "page_failure", [reason],
                                                  {"url": response.url, "status": response.status})
            listing = ListingPage(entries=listing.entries[:limit], next_url=listing.next_url)
        on_site = [e for e in listing.entries if self.on_site(e.url)]
        for entry in listing.entries:
            if entry not in on_site:
                # A column entry that points off the site (or is no URL) is never followed.
                self.crawler.stats.inc_value("cable/index_entries_offsite")
                self.logger.warning("index page %s: entry %r is not on %s: not followed",
                                    response.url, entry.url, self.args.base_url)
        skipped = []
        for entry in on_site:
            if not self.args.in_window(entry.published):
                self.crawler.stats.inc_value("cable/index_entries_outside_window")
                continue
            reason = self.skip_reason(entry)
            if reason:
                skipped.append(entry)
                self.crawler.stats.inc_value(f"cable/index_entries_{reason}")
                continue
            yield self.article_request(entry.url, entry)

        since = self.args.since
        all_older = since is not None and listing.entries and all(
            e.published is not None and e.published < since for e in listing.entries)
        all_known = bool(on_site) and len(skipped) == len(on_site)
        if all_older:
            self.logger.info("index page %d is older than since=%s: stop paging", page, since)
        elif all_known:
            self.logger.info("index page %d holds only known, unchanged articles: stop paging", page)
        elif self.args.max_pages is not None and page >= self.args.max_pages:
            self.logger.info("max_pages=%d reached", self.args.max_pages)
        elif listing.next_url and self.on_site(listing.next_url):
            yield self.index_request(listing.next_url, page=page + 1)
        elif listing.next_url:
            reason = f"index page: next-page link {listing.next_url!r} is not on {self.args.base_url}"
            self.logger.error("%s: %s", response.url, reason)
            rejects.for_crawler(self.crawler).add(response.url, "page_failure", [reason],
                                                  {"url": response.url, "status": response.status})

    def on_site(self, url: str) -> bool:
        canonical = http_url(url)
        return canonical is not None and is_on_site(canonical, self.args.base_url)

    def failure(self, response, reason: str) -> PageFailure:
        self.logger.error("giving up on %s: %s", response.url, reason)
        return PageFailure(url=response.url, status=response.status, reason=reason)

    def parse_article(self, response):
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        html_type = not content_type or content_type.lower().startswith(("text/html", "application/xhtml"))
        if not hasattr(response, "selector") or not html_type:
            yield self.failure(response, f"article page: not an HTML page (Content-Type: {content_type or 'none'})")
            return
        if not response.body.strip():
            yield self.failure(response, "article page: empty response")
            return
        cuts = PageCuts()
        try:
            # Nothing in this block yields to the reactor: the time limit covers the page alone.
            # Once the crawl is stopping (SIGTERM), pages still queued get a short limit.
            with parse_time_limit(self.settings.getfloat("CABLE_MAX_PARSE_SECONDS", 10),
                                  shutting_down=not self.crawler.crawling):
                response = readable(response)
                item = load_article(response, column=COLUMN_NAME, cuts=cuts).load_item()
        except ParseAbandoned as abandoned:  # too slow, or the crawl is shutting down: the crawl goes on
            self.crawler.stats.inc_value("cable/page_limits/parse_time")
            yield self.failure(response, f"article page: {abandoned}")
            return
        except Exception as error:  # a page we cannot read must be reported, not lost
            self.logger.exception("cannot parse %s", response.url)
            yield PageFailure(url=response.url, status=response.status,
                              reason=f"article page: parse error: {type(error).__name__}: {error}")
            return
        self.report_cuts(response.url, cuts)
        listing = response.meta.get("listing")
        if listing and item.get("id"):
            self.written.remember_listing(item["id"], listing["url"], listing["signature"])
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
        if reason not in self.splash_errors_seen:
            self.splash_errors_seen.add(reason)
            self.logger.error("rendering failed: %s", reason)
        return reason

    def on_error(self, failure):
        """HTTP errors, timeouts, DNS and connection failures: recorded, never silent."""
        request = failure.request
        response = getattr(failure.value, "response", None)
        status = response.status if response is not None else None
        if status is not None:
            reason = f"HTTP {status}"
        else:
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        retries = request.meta.get("retry_times", 0)
        if retries:
            reason += f" (gave up after {retries} retries)"
        # A failed redirect is reported under the URL the crawl asked for.
        url = (request.meta.get("redirect_urls") or [request.url])[0]
        if "splash" in request.meta:
            url = request.meta["splash"].get("args", {}).get("url", url)
            reason = self.splash_failure(reason, response)
        kind = request.meta.get("page_kind", "page")
        self.crawler.stats.inc_value(f"cable/failed_{kind}_pages")
        self.logger.error("giving up on %s page %s: %s", kind, url, reason)
        yield PageFailure(url=url, status=status, reason=f"{kind} page: {reason}")
