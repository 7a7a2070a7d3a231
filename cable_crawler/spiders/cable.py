"""The `cable` spider: column index -> article pages -> ArticleItem.

It only navigates: which pages to request, in which window, and what to do
when a request fails. Reading pages is in cable_crawler.pages, normalizing in
the loaders, validating/deduplicating/writing in the pipelines.
"""

from __future__ import annotations

import scrapy

from ..args import parse_args
from ..items import PageFailure
from ..pages.article import load_article
from ..pages.listing import parse_listing
from ..processors import canonical_url, parse_datetime

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
        self.index_pages_seen = 0

    @property
    def index_url(self) -> str:
        return self.args.base_url + COLUMN_PATH

    async def start(self):
        if self.args.urls:
            for url in self.args.urls:
                yield self.article_request(url)
            return
        yield self.index_request(self.index_url, page=1)

    def index_request(self, url: str, page: int) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_index, errback=self.on_error,
                              cb_kwargs={"page": page}, meta={"page_kind": "index"})

    def article_request(self, url: str) -> scrapy.Request:
        # Canonical URL: tracking-parameter and #fragment variants hit the dupefilter.
        return scrapy.Request(canonical_url(url), callback=self.parse_article, errback=self.on_error,
                              meta={"page_kind": "article"})

    def parse(self, response):
        """Default callback (`scrapy parse --spider=cable URL`): index or article by URL."""
        if COLUMN_PATH in response.url:
            return self.parse_index(response)
        return self.parse_article(response)

    def parse_index(self, response, page: int = 1):
        listing = parse_listing(response)
        self.crawler.stats.inc_value("cable/index_pages")
        if not listing.entries:
            self.logger.warning("index page %s has no article entries", response.url)
        in_window = [e for e in listing.entries if self.args.in_window(e.published)]
        for entry in in_window:
            yield self.article_request(entry.url)
        skipped = len(listing.entries) - len(in_window)
        if skipped:
            self.crawler.stats.inc_value("cable/index_entries_outside_window", skipped)

        since = self.args.since
        all_older = since is not None and listing.entries and all(
            e.published is not None and e.published < since for e in listing.entries)
        if all_older:
            self.logger.info("index page %d is older than since=%s: stop paging", page, since)
        elif self.args.max_pages is not None and page >= self.args.max_pages:
            self.logger.info("max_pages=%d reached", self.args.max_pages)
        elif listing.next_url:
            yield self.index_request(listing.next_url, page=page + 1)

    def parse_article(self, response):
        if not hasattr(response, "selector"):
            yield PageFailure(url=response.url, status=response.status,
                              reason=f"not an HTML page (Content-Type: "
                                     f"{response.headers.get('Content-Type', b'').decode('latin-1') or 'none'})")
            return
        try:
            item = load_article(response, column=COLUMN_NAME).load_item()
        except Exception as error:  # a page we cannot read must be reported, not lost
            self.logger.exception("cannot parse %s", response.url)
            yield PageFailure(url=response.url, status=response.status,
                              reason=f"parse error: {type(error).__name__}: {error}")
            return
        published = parse_datetime(item.get("published_at"))
        if published is not None and not self.args.in_window(published.date()):
            self.crawler.stats.inc_value("cable/articles_outside_window")
            self.logger.debug("outside since/until window: %s (%s)", item["url"], item["published_at"])
            return
        yield item

    def on_error(self, failure):
        """HTTP errors, timeouts, DNS and connection failures: recorded, never silent."""
        request = failure.request
        response = getattr(failure.value, "response", None)
        status = response.status if response is not None else None
        if status is not None:
            reason = f"HTTP {status}"
        else:
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        kind = request.meta.get("page_kind", "page")
        self.crawler.stats.inc_value(f"cable/failed_{kind}_pages")
        self.logger.error("giving up on %s page %s: %s", kind, request.url, reason)
        yield PageFailure(url=request.url, status=status, reason=f"{kind} page: {reason}")
