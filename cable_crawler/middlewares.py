"""Downloader middlewares: retries with backoff, and the site boundary.

BackoffRetryMiddleware replaces Scrapy's RetryMiddleware (same settings:
RETRY_TIMES, RETRY_HTTP_CODES, RETRY_EXCEPTIONS) and adds what it lacks:
- a wait before each retry, exponential with jitter
  (CABLE_RETRY_BACKOFF_BASE * 2**(n-1), at most CABLE_RETRY_BACKOFF_MAX seconds),
- the server's Retry-After (seconds or HTTP date) when it asks for longer,
  also capped by CABLE_RETRY_BACKOFF_MAX,
- an empty 200 response counts as a failed download and is retried.

SameSiteMiddleware (Scrapy's OffsiteMiddleware, subclassed through should_follow)
lets requests reach only the crawled site: its host *and port*, or a subdomain of
it on the default port (extraction/boundary.py). Scrapy's rule compares host names only,
so 127.0.0.1:other-port would pass, and it drops off-site redirects when they are
scheduled, without calling the errback. Anything else, including redirects to
other hosts and private addresses, is refused here before a connection is made,
and the errback records it in the rejects file.

UnreachableSiteMiddleware: when the site cannot be reached at all (DNS lookup
failed, connection refused, no route: no response of any kind yet, and the
retries given up), the crawl says so in one line ("cannot reach
foreignpolicy.com (DNS lookup failed)"), sets the stat cable/site_unreachable
and stops (reason site_unreachable, exit status 1), instead of a traceback from
the robots.txt middleware, a failed index page and failed monitors.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, IgnoreRequest
from scrapy.http import Request
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, NoRouteError

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written
from cable_crawler.extraction.boundary import is_on_site

logger = logging.getLogger(__name__)


def retry_after_seconds(value, now: datetime | None = None) -> float | None:
    """Retry-After as seconds to wait: '120' -> 120.0; an HTTP date -> seconds
    from now (0 if past); anything unreadable -> None."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    text = str(value).strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(retry_number: int, base: float, cap: float, retry_after: float | None = None,
                  jitter: float = 1.0) -> float:
    """Seconds to wait before retry number `retry_number` (1, 2, ...).
    `jitter` in [0.5, 1] spreads retries of many requests apart."""
    delay = base * (2 ** max(0, retry_number - 1)) * jitter
    if retry_after is not None:
        delay = max(delay, retry_after)
    return max(0.0, min(cap, delay))


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("CABLE_RETRY_BACKOFF_BASE", defaults.CABLE_RETRY_BACKOFF_BASE)
        self.backoff_max = settings.getfloat("CABLE_RETRY_BACKOFF_MAX", defaults.CABLE_RETRY_BACKOFF_MAX)

    async def process_response(self, request, response, spider=None):
        if response.status == 200 and not response.body.strip() and not request.meta.get("dont_retry"):
            # Scrapy's documented helper: RETRY_TIMES / meta max_retry_times, retry/* stats.
            result = get_retry_request(request, spider=self.crawler.spider, reason="empty response") or response
        else:
            result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._wait(result, retry_after_seconds(response.headers.get("Retry-After")))
        return result

    async def process_exception(self, request, exception, spider=None):
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result, None)
        return result

    async def _wait(self, retry: Request, retry_after: float | None) -> None:
        delay = backoff_delay(retry.meta.get("retry_times", 1), self.backoff_base, self.backoff_max,
                              retry_after, jitter=random.uniform(0.5, 1.0))
        if delay > 0:
            self.crawler.stats.inc_value("cable/retry_wait_seconds", round(delay, 3))
            await asyncio.sleep(delay)


class SameSiteMiddleware(OffsiteMiddleware):
    """Scrapy's OffsiteMiddleware with our rule in its documented hook, should_follow:
    the crawled site's host *and port* (extraction/boundary.is_on_site). Scrapy's default
    rule reads the spider's allowed_domains, which has no port, so this spider sets none."""

    def request_scheduled(self, request, spider=None):
        # Scrapy's checks requests again when they are scheduled, and an IgnoreRequest
        # there drops the request without calling its errback: an off-site redirect
        # (scheduled by RedirectMiddleware) would vanish from the rejects file. Checked
        # once, in process_request below, where the refusal reaches the errback.
        return None

    def process_request(self, request, spider=None):
        # Scrapy's lets requests with dont_filter or meta allow_offsite through; retries
        # are dont_filter, and a redirect copies that flag, so a retried request redirected
        # off-site would pass. The boundary is checked on every request.
        if self.should_follow(request, self.crawler.spider):
            return None
        self.stats.inc_value("cable/offsite_refused")
        base_url = self.crawler.spider.args.base_url
        source = (request.meta.get("redirect_urls") or [None])[0]
        via = f" (redirected from {source})" if source else ""
        raise IgnoreRequest(f"off-site URL refused: {request.url}{via}; only {base_url} is crawled")

    def should_follow(self, request, spider):
        base_url = getattr(getattr(spider, "args", None), "base_url", None)
        if base_url is None or is_on_site(request.url, base_url):
            return True
        splash = getattr(spider, "splash_url", None)
        # the page's own URL was checked before SplashMiddleware sent it to Splash
        return bool(splash and request.meta.get("_splash_processed") and request.url.startswith(splash + "/"))


# Failures that mean the host was not reached at all, and how the one line says it.
UNREACHABLE = (
    ((CannotResolveHostError, DNSLookupError), "DNS lookup failed"),
    ((DownloadConnectionRefusedError, ConnectionRefusedError), "connection refused"),
    ((NoRouteError,), "no route to host"),
)


def unreachable_reason(error: BaseException) -> str | None:
    """'DNS lookup failed', 'connection refused'...: for a failure that reached no server."""
    for candidate in (error, error.__cause__):
        for kinds, why in UNREACHABLE:
            if isinstance(candidate, kinds):
                return why
    return None


class UnreachableSiteMiddleware:
    """Placed after the retry middleware (lower number): sees a failure once retries gave up."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.reached = False        # any response at all, even an error page
        self.unreachable: str | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        if self.unreachable:
            raise IgnoreRequest(f"cannot reach {self.unreachable}")
        if not self.reached:
            # Until the site answers once, Scrapy's "Gave up retrying" goes to DEBUG: a failure
            # is told by the line below, the spider's errback or the robots.txt middleware.
            request.meta.setdefault("give_up_log_level", "DEBUG")
        return None

    def process_response(self, request, response, spider=None):
        self.reached = True
        return response

    def process_exception(self, request, exception, spider=None):
        if "splash" in request.meta:
            return None  # Splash down is told apart by the spider ("rendering failed: Splash at ...")
        why = None if self.reached else unreachable_reason(exception)
        if why is None:
            return None
        if self.unreachable is None:
            self.unreachable = f"{urlsplit(request.url).hostname} ({why})"
            self.crawler.stats.set_value("cable/site_unreachable", self.unreachable)
            logger.error("cannot reach %s: no page could be fetched; check the network, or -a base_url",
                         self.unreachable)
            # Scheduled, not awaited (as in incremental/outputs.py write_failed).
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="site_unreachable"))
        # IgnoreRequest: the robots.txt middleware logs no traceback for it, the spider no reject.
        raise IgnoreRequest(f"cannot reach {self.unreachable}")
