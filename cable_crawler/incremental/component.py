"""IncrementalCrawl: the one owner of incremental crawling, an extension.

It holds everything one crawl knows across runs: the crawl state (what earlier
runs wrote), the ledger (what this run, and the run it resumes, wrote), the
unfinished work (failed articles, index walks), the JOBDIR resume data, the
rejects file, and the publish step that records a published output file in the
state. The spider and the pipelines find it with Scrapy's documented
`crawler.get_extension(IncrementalCrawl)` (`IncrementalCrawl.of(crawler)`) and
call only the methods below; nothing travels on attributes of the crawler.

What earlier runs wrote
    known(article_id, url)                  the stored article, or None
    skip_reason(entry, mode, refresh_days)  why an index entry needs no request: "written", "known", None
    compare(item)                           "new", "revised" (numbered here) or "unchanged" (not written again)
    had(url, article_id, modified)          why the completeness pass need not request a listed post, or None
What this run writes
    listed(item)                            takes the index entry the item was requested from off the item
    written(article_id, url, fingerprint)   written by this run or by the run it resumes
    record_written(line)                    a line the writer wrote
    resume_written(path)                    the lines of the .part file a JOBDIR crawl resumes
What to retry
    walks_to_continue(), to_retry(limit)    unfinished index walks and failed articles of earlier runs
    walk(start_url, ...)                    this crawl's walk of the index from start_url
    requested(url, ...), was_requested(url), answered(url), failed(page_failure), rejected_for_good(urls, reason)
Publish
    on_close(callback)                      a file of this crawl to close at spider_closed (rejects, output)
    publish(path, reason, complete)         records the published file's lines, the unchanged articles,
                                            failures and walks in the crawl state, in one transaction

Scrapy builds the extensions before the engine, so the pipelines find it when
they are built; the spider is built before the extensions (Crawler.crawl) and
looks it up on first use. Its spider_closed receiver is connected before
Spidermon's (an extension listed before it in EXTENSIONS), so the files are
published before the close monitors check them; a pipeline's own receiver
would run after them.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import date, timedelta
from pathlib import Path

from scrapy import signals

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written
from cable_crawler.extraction.processors import article_id, canonical_url
from cable_crawler.incremental import state
from cable_crawler.incremental.jsonlines import read_records
from cable_crawler.incremental.ledger import Ledger
from cable_crawler.incremental.outputs import write_failed
from cable_crawler.incremental.rejects import Rejects
from cable_crawler.incremental.resume import Resume
from cable_crawler.incremental.state import CrawlState, Failed, Known, Walk
from cable_crawler.incremental.unfinished import IndexWalk, Unfinished

logger = logging.getLogger(__name__)


class IncrementalCrawl:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.resume = Resume(crawler.settings.get("JOBDIR"))  # takes the JOBDIR lock
        self.state = CrawlState(state.state_path(crawler.settings))
        # A distributed crawl's state shared by its workers (cable_crawler/distributed/state.py), set by
        # its coordinator: asked first by known(); None in a single-process crawl.
        self.shared = None
        self.ledger = Ledger()
        self.unfinished = Unfinished()
        # article id -> what the column index showed for it: (its URLs there, the entry's
        # signature); tuples, not dicts: one per article until the crawl closes (listing_fields)
        self.listings: dict[str, tuple[tuple[str, ...], str | None]] = {}
        self.unchanged: list[dict] = []  # not written again; their listing signature is stored
        self.published = False
        self.closers = []
        self.rejects = Rejects(crawler, self.resume)
        self.on_close(self.rejects.spider_closed)
        if self.resume.jobdir is not None:
            self.resume.start(crawler)
            crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def spider_opened(self, spider):
        # One state for every channel (-a channel): a crawl retries its own channel's failures
        # only, since it writes its channel's `column`, and records its failures under it.
        self.unfinished.channel = getattr(getattr(spider, "args", None), "channel", None) or state.LEGACY_CHANNEL

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @classmethod
    def of(cls, crawler) -> IncrementalCrawl:
        """This crawl's component, through Scrapy's crawler.get_extension() (built with the extensions)."""
        component = crawler.get_extension(cls)
        if component is None:
            raise RuntimeError("cable_crawler.incremental.component.IncrementalCrawl is not in EXTENSIONS: "
                               "the spider and the pipelines need it (see cable_crawler/settings.py)")
        return component

    # ---------------------------------------------------------------- what earlier runs wrote

    def known(self, article_id: str | None = None, url: str | None = None) -> Known | None:
        """The article an earlier run wrote with this id, or reached under this URL."""
        if self.shared is not None:
            known = self.shared.get(article_id, url)
            if known is not None:
                return known
        return self.state.get(article_id, url)

    def skip_reason(self, entry, mode: str, refresh_days: int, today: date | None = None) -> str | None:
        """Why a column index entry (a ListingEntry) needs no request, or None to fetch it:
        "written" by this crawl or the run it resumes; "known" in incremental mode, when the
        state holds it with the same index signature and it is older than refresh_days."""
        entry_id = article_id(entry.post_id, entry.url) if entry.post_id else None
        url = canonical_url(entry.url)
        if self.ledger.has(entry_id, url):
            return "written"
        if mode != "incremental":
            return None
        known = self.known(entry_id, url)
        if known is None or known.listing_signature != entry.signature:
            return None  # new, or the index shows a changed headline/dek/date
        today = today or date.today()
        recent = entry.published is not None and entry.published >= today - timedelta(days=refresh_days)
        return None if recent else "known"

    def had(self, url: str, article_id: str | None = None, modified: str | None = None) -> str | None:
        """Why a post another listing names (the WordPress API's list of the channel) needs no
        request from the completeness pass: "written" or "requested" by this crawl (or the run
        it resumes), "known" to the crawl state, "failed" in an earlier run and waiting in the
        failures table (retry_requests), "given_up" after failing in too many runs, "rejected"
        for good by an earlier run (404, an invalid item...) and not `modified` since; None when
        nobody has it: a post the index walks missed."""
        if self.ledger.has(article_id, url):
            return "written"
        if self.was_requested(url):
            return "requested"
        if self.known(article_id, url) is not None:
            return "known"
        failure = self.state.failure(url)
        if failure is not None:
            # The failures table's: retried by the runs after it failed (CABLE_RETRY_FAILED_MAX a run).
            return "given_up" if failure.given_up else "failed"
        rejection = self.state.rejection(url)
        if rejection is not None and (modified is None or modified <= rejection.rejected_at):
            return "rejected"  # read and rejected for good, not edited since (both ISO 8601 UTC)
        return None

    def compare(self, item) -> str:
        """Compares an article with what earlier runs wrote: "new" (revision 1), "revised"
        (revision and previous_fingerprint set here) or "unchanged" (item["revision"] set to the
        stored one; not written again, its index entry is stored when the crawl publishes)."""
        state.lock(self.crawler.settings)  # one crawl at a time records into a state (a no-op once held)
        known = self.known(item["id"], item["url"])
        if known is None:
            self.stats.inc_value("cable/articles_new")
            return "new"
        if known.fingerprint == item["fingerprint"] and (known.modified_at or None) == (item["modified_at"] or None):
            self.stats.inc_value("cable/articles_unchanged")
            item["revision"] = known.revision
            self.unchanged.append({key: item.get(key) for key in state.RECORDED_FIELDS})  # not the body
            return "unchanged"
        item["revision"] = known.revision + 1
        item["previous_fingerprint"] = known.fingerprint
        self.stats.inc_value("cable/articles_revised")
        self.crawler.spider.logger.info("revised: %s is now revision %d", item["url"], item["revision"])
        return "revised"

    # ---------------------------------------------------------------- what this run writes

    def listed(self, item) -> None:
        """Takes `listing` (the index entry the article was requested from: {url, signature},
        carried from the request's meta) off the item and keeps it for the state record."""
        listing = item.pop("listing", None)
        if not listing or not item.get("id"):
            return
        urls, signature = self.listings.get(item["id"], ((), None))
        if listing.get("url") and listing["url"] not in urls:
            urls = (*urls, listing["url"])
        self.listings[item["id"]] = (urls, listing.get("signature") or signature)

    def listing_fields(self, article_id: str) -> dict:
        """{listing_urls, listing_signature}: what the index showed for an article this run
        wrote ({} when it was not requested from an index)."""
        found = self.listings.get(article_id)
        return {} if found is None else {"listing_urls": list(found[0]), "listing_signature": found[1]}

    def written(self, article_id: str | None = None, url: str | None = None, fingerprint: str | None = None) -> bool:
        """Written by this crawl, or by the run it resumes (its .part file)."""
        return self.ledger.has(article_id, url) or (fingerprint is not None and fingerprint in self.ledger.fingerprints)

    def record_written(self, line: dict) -> None:
        self.ledger.add(line)

    def resume_written(self, path: Path) -> int:
        """Counts the whole lines of the .part file a resumed crawl continues as written."""
        return self.ledger.load(path)

    # ---------------------------------------------------------------- what to retry

    def walks_to_continue(self) -> list[Walk]:
        """Index walks earlier runs left unfinished, shallowest first."""
        return self.state.walks()

    def to_retry(self, limit: int) -> list[Failed]:
        """Article URLs that failed in earlier runs of this crawl's channel, to request again
        (at most `limit`)."""
        channel = self.unfinished.channel or state.LEGACY_CHANNEL
        return self.state.unresolved(limit, channel) if limit > 0 else []

    def walk(self, start_url: str, from_state: bool = False, failures_before: int = 0,
             first_page: int = 1) -> IndexWalk:
        """The walk of the column index that started at start_url (created on first use)."""
        walks = self.unfinished.walks
        if start_url not in walks:
            walks[start_url] = IndexWalk(start_url, from_state=from_state, failures_before=failures_before,
                                         first_page=first_page)
        return walks[start_url]

    def requested(self, url: str, listing: dict | None = None, failed_runs: int = 0) -> None:
        """An article request of this crawl (kept for the next run if the crawl closes before it)."""
        self.unfinished.requested[url] = {"listing": listing, "failed_runs": failed_runs}

    def was_requested(self, url: str) -> bool:
        return url in self.unfinished.requested

    def answered(self, url: str | None) -> None:
        """A requested article URL was read (or failed for good): its failure row, if any, is resolved."""
        if url:
            self.unfinished.answer(url)

    def failed(self, failure) -> str | None:
        """An article page failed (a PageFailure). One that may pass is requested again by the
        next runs until it failed in CABLE_FAILED_MAX_ATTEMPTS runs; returns the reason it is
        given up then. A final failure is only reported (the rejects file), never retried."""
        url = failure.get("requested_url") or failure.get("url")
        if failure.get("page_kind") != "article" or not url:
            return None
        if not failure.get("retry"):
            self.answered(url)  # failed for good: reported now, not retried
            self.rejected_for_good([url], failure.get("reason") or "failed")
            return None
        known = self.state.failure(url)
        runs = max(failure.get("failed_runs") or 0, known.runs if known else 0) + 1
        max_runs = self.crawler.settings.getint("CABLE_FAILED_MAX_ATTEMPTS", defaults.CABLE_FAILED_MAX_ATTEMPTS)
        given_up = None
        if runs >= max_runs or (known is not None and known.given_up):
            given_up = f"article page: given up after {runs} failed runs (CABLE_FAILED_MAX_ATTEMPTS={max_runs})"
            self.stats.inc_value("cable/failed_articles_given_up")
            self.crawler.spider.logger.warning("%s: %s", url, given_up)
        listing = failure.get("listing") or {}
        self.unfinished.add_failure(url, runs=runs, status=failure.get("status"), reason=failure.get("reason"),
                                    listing_url=listing.get("url"), listing_signature=listing.get("signature"),
                                    given_up=given_up is not None)
        return given_up

    def rejected_for_good(self, urls, reason: str) -> None:
        """An article page read and rejected (a final failure, an invalid item): stored with the
        crawl, so the completeness pass does not ask for it every run."""
        for url in urls:
            if url:
                self.unfinished.rejected[url] = reason

    # ---------------------------------------------------------------- publish

    def on_close(self, callback) -> None:
        """A callback(spider, reason) that closes (and publishes) a file of this crawl at spider_closed."""
        self.closers.append(callback)

    def spider_closed(self, spider, reason):
        for close in self.closers:
            close(spider, reason)
        if not self.published:  # no writer published anything (not among the pipelines)
            self.publish(None, reason, complete=False)

    def publish(self, path: Path | None, reason: str, complete: bool = True) -> None:
        """Records what this crawl leaves for the next runs, once its output file is closed.

        complete: the output file was published at `path` (None: nothing written, or no file):
        its lines (with what the index showed for them), the articles read unchanged, failed
        articles to retry and unfinished walks go into the crawl state in one transaction.
        Not complete (kept for a JOBDIR resume, or the file failed): the state learns nothing
        from the file, so the next run writes those articles again; only the unchanged
        articles' index entries are stored (they are in the state already)."""
        self.published = True
        unchanged = [{**entry, **self.listing_fields(entry["id"])} for entry in self.unchanged]
        try:
            if not complete:
                self.state.record(unchanged)
                return
            # One line at a time: the file's articles are never all in memory (read_records).
            records = ({**line, **self.listing_fields(line["id"])} for line in read_records(path)) if path else ()
            unfinished = self.unfinished.to_record(self.stats, reason)
            self.state.record_crawl(records, unfinished, unchanged)
            self.unfinished.count(self.stats, unfinished)
        except sqlite3.Error as error:  # published, but the next run will not know: it writes them again
            write_failed(self.crawler, self.state.path, error,
                         f"cannot record {path or 'this crawl'} in the crawl state")

    def engine_stopped(self):
        self.resume.stop(self.crawler)
