"""What this crawl could not finish, kept for the next runs.

Two things are tracked while the crawl runs and stored in the crawl state when
it closes (by IncrementalCrawl.publish, with the published output file's lines;
see state.py):

- article pages that failed for a reason that may pass (5xx, timeout,
  connection error, empty response): requested again by the next runs, at most
  CABLE_RETRY_FAILED_MAX per run, until written or given up after failing in
  CABLE_FAILED_MAX_ATTEMPTS runs. Final failures (404, 410, not HTML, invalid
  article) are reported in the rejects file once and not retried. A crawl
  that closes early also keeps the article requests it never reached.
- walks of the column index (from page 1, or from where an earlier run
  stopped): where each one stopped and why. A walk stopped before the end of
  the archive (max_pages, the index page cap, a failed index page, a crawl
  that ended early) leaves a resume point; the next run walks on from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Failures that may pass on a later run. Anything else (404, 410, other 4xx, a refused
# off-site redirect, a redirect loop, a page that is no article) is final.
RETRYABLE_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))


def retryable(status: int | None, ignored: bool = False) -> bool:
    """A failed request worth another try on a later run: no answer (timeout, DNS,
    connection), a 5xx, 408 or 429. `ignored`: refused on purpose (IgnoreRequest)."""
    if ignored:
        return False
    return status is None or status in RETRYABLE_STATUSES


@dataclass
class IndexWalk:
    """One walk down the column index, from page 1 or from a stored resume point."""
    start_url: str
    from_state: bool = False        # continues an unfinished walk of an earlier run
    failures_before: int = 0        # earlier runs in which its start page failed
    first_page: int = 1             # the page number it started at (for max_pages)
    stale: int = 0                  # consecutive pages that brought no entry new to this walk
    seen: set[str] = field(default_factory=set)
    pending: tuple[str, int] | None = None    # (url, page) requested, not yet read
    stopped: str | None = None      # why paging stopped (a short code, see CableSpider.stop_paging)
    resume: dict | None = None      # {url, page, reason, failures}: where the next run goes on

    def place(self, page: int) -> int:
        """A page's place on this walk: 1 for the page it started at (max_pages, priorities)."""
        return page - self.first_page + 1

    def first_seen(self, keys: list[str]) -> bool:
        """True when none of an entry's keys (URL, id) was seen before on this walk; marks them seen."""
        new = not any(key in self.seen for key in keys)
        self.seen.update(keys)
        return new


ANSWERED: dict = {}  # the entry of `Unfinished.requested` for an answered request (shared, empty)


@dataclass
class Unfinished:
    # article URL -> {listing, failed_runs}: every article request of this crawl, once
    requested: dict[str, dict] = field(default_factory=dict)
    failed: dict[str, dict] = field(default_factory=dict)  # requested URL -> failure (see add_failure)
    answered: set[str] = field(default_factory=set)        # requested URLs read or failed for good
    rejected: dict[str, str] = field(default_factory=dict)  # article URL -> why it was rejected for good
    walks: dict[str, IndexWalk] = field(default_factory=dict)
    channel: str | None = None  # the crawl's channel (-a channel): its failures are retried by its runs

    def answer(self, url: str) -> None:
        """A requested URL was read (or failed for good). Its request's listing is no longer
        needed (to_record keeps only the requests never answered): dropped, memory per article."""
        self.answered.add(url)
        if self.requested.get(url) is not None:
            self.requested[url] = ANSWERED

    def add_failure(self, url: str, **failure) -> None:
        self.failed[url] = {"url": url, "channel": self.channel, **failure}

    def to_record(self, stats, reason: str = "finished") -> dict:
        """Failures and resume points to store in the crawl state (the keyword arguments of
        CrawlState.record_unfinished). A crawl that closed early (`reason` is not 'finished')
        also leaves the article requests it never got to, kept like failures (without counting
        a failed run) so the next run makes them."""
        if reason != "finished":
            for url, request in self.requested.items():
                if url not in self.answered and url not in self.failed:
                    listing = request.get("listing") or {}
                    self.add_failure(url, runs=request.get("failed_runs", 0), status=None,
                                     reason=f"the crawl closed ({reason}) before it was read",
                                     listing_url=listing.get("url"), listing_signature=listing.get("signature"))
                    stats.inc_value("cable/articles_not_reached")
        for walk in self.walks.values():
            # (Not page 1 of the index itself: every run reads it. A crawl resumed from JOBDIR
            # can leave it "pending", its request dropped as already seen.)
            first_page_of_index = not walk.from_state and walk.pending == (walk.start_url, 1)
            if walk.pending is not None and walk.resume is None and not first_page_of_index:
                # The crawl closed before this page was read: the next run starts there.
                url, page = walk.pending
                walk.stopped = walk.stopped or "crawl_ended"
                walk.resume = {"url": url, "page": page, "reason": "the crawl ended before it was read",
                               "failures": 0}
        open_walks = {w.resume["url"]: w.resume for w in self.walks.values() if w.resume}
        done = [w.start_url for w in self.walks.values() if w.from_state and w.start_url not in open_walks]
        return {"failed": list(self.failed.values()), "resolved": sorted(self.answered - set(self.failed)),
                "walks_done": done, "walks_open": list(open_walks.values()),
                "rejected": [{"url": url, "reason": reason} for url, reason in sorted(self.rejected.items())]}

    @staticmethod
    def count(stats, recorded: dict) -> None:
        """The stats of what was stored (to_record's result)."""
        remembered = sum(1 for f in recorded["failed"] if not f.get("given_up"))
        if remembered:
            stats.set_value("cable/failed_articles_remembered", remembered)
        if recorded["walks_open"]:
            stats.set_value("cable/archive_walks_open", len(recorded["walks_open"]))
