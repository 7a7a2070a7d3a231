"""Scrapy's fingerprint dupefilter, except for redirects back into their own chain.

A redirect to a URL already in its own redirect chain (A -> A, or A -> B -> A)
would be dropped as a duplicate without a trace, and the article would be
silently missing. Such a request is let through instead: a transient loop
then recovers on the next hop, and a persistent one ends at
REDIRECT_MAX_TIMES, where Scrapy's RedirectMiddleware gives up and the
spider's errback records "max redirections reached" in the rejects file."""

from __future__ import annotations

from scrapy.dupefilters import RFPDupeFilter

from cable_crawler.extraction.processors import canonical_url


def is_redirect_loop(request) -> bool:
    """A redirect to a URL already in its own redirect chain (also the rule of the Redis
    dupefilter of distributed crawls, cable_crawler/distributed/scheduler.py)."""
    chain = request.meta.get("redirect_urls") or []
    return bool(chain) and canonical_url(request.url) in {canonical_url(url) for url in chain}


class RedirectLoopAwareDupeFilter(RFPDupeFilter):
    def request_seen(self, request) -> bool:
        if is_redirect_loop(request):
            return False  # a loop hop: counted by RedirectMiddleware, not hidden here
        return super().request_seen(request)
