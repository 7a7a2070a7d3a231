"""Item pipelines, in order (see ITEM_PIPELINES in settings):

1. ValidationPipeline — invalid items and failed pages go to the rejects file
   with their reasons, are counted, and stop here; the crawl goes on.
2. DeduplicationPipeline — one item per id, URL and content fingerprint; the
   same URL with another id and other content is a conflict, not a duplicate.
3. RevisionPipeline — against the crawl state: new articles are revision 1,
   changed ones the next revision, unchanged ones are not written again.
4. JsonLinesWriterPipeline — one UTF-8 JSON object per line, crash-safe; when
   the file is published, the crawl state records what it holds.
"""

from __future__ import annotations

import json
import sqlite3

from scrapy import signals
from scrapy.exceptions import DropItem

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written
from cable_crawler.incremental import ledger, rejects, resume, state, unfinished
from cable_crawler.items import PageFailure
from cable_crawler.incremental.jsonlines import AtomicJsonLinesFile
from cable_crawler.incremental.outputs import closers, keep_for_resume, open_file, output_path, write_failed
from cable_crawler.extraction.processors import article_id
from cable_crawler.extraction.validation import problems, record


class ValidationPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.rejects = rejects.for_crawler(crawler)
        self.unfinished = unfinished.for_crawler(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        if isinstance(item, PageFailure):
            reasons = [item.get("reason") or "failed"]
            given_up = item.get("given_up") or self.remember_failure(item)
            if given_up:
                reasons.append(given_up)
            self.rejects.add(item.get("url"), "page_failure", reasons,
                             {"url": item.get("url"), "status": item.get("status")})
            raise DropItem(f"page failed: {item.get('url')}", log_level="DEBUG")
        data = record(item)
        reasons = problems(data)
        if reasons:
            url = item.get("fetched_url") or data.get("url")  # the page attempted
            self.rejects.add(url, "invalid_item", reasons, data)
            self.crawler.spider.logger.warning("rejected %s: %s", url, "; ".join(reasons))
            raise DropItem(f"invalid item: {data.get('url')}", log_level="DEBUG")
        return item

    def remember_failure(self, failure: PageFailure) -> str | None:
        """An article page that failed for a reason that may pass is requested again by
        the next runs (see unfinished.py), until it failed in CABLE_FAILED_MAX_ATTEMPTS
        runs; returns the reason it is given up then. A final failure is only reported."""
        url = failure.get("requested_url") or failure.get("url")
        if failure.get("page_kind") != "article" or not url:
            return None
        if not failure.get("retry"):
            self.unfinished.answered.add(url)  # failed for good: reported now, not retried
            return None
        known = state.for_crawler(self.crawler).failure(url)
        runs = max(failure.get("failed_runs") or 0, known.runs if known else 0) + 1
        max_runs = self.crawler.settings.getint("CABLE_FAILED_MAX_ATTEMPTS", defaults.CABLE_FAILED_MAX_ATTEMPTS)
        given_up = None
        if runs >= max_runs or (known is not None and known.given_up):
            given_up = f"article page: given up after {runs} failed runs (CABLE_FAILED_MAX_ATTEMPTS={max_runs})"
            self.crawler.stats.inc_value("cable/failed_articles_given_up")
            self.crawler.spider.logger.warning("%s: %s", url, given_up)
        listing = failure.get("listing") or {}
        self.unfinished.add_failure(url, runs=runs, status=failure.get("status"), reason=failure.get("reason"),
                                    listing_url=listing.get("url"), listing_signature=listing.get("signature"),
                                    given_up=given_up is not None)
        return given_up


class DeduplicationPipeline:
    """Drops the second and later copies of an article within one crawl: same id, or
    the same content (fingerprint) under another URL; the log line names the fetched
    URL that was dropped.

    The same URL with another id *and* other content is no duplicate but a conflict:
    a page whose canonical link names a URL already written for another article.
    That page is written under the URL it was fetched from (both articles kept,
    `cable/url_conflicts`); when it was fetched from that very URL (the other page
    claimed it first through its canonical link), it goes to the rejects file with
    the reason instead of silently replacing or being replaced. An earlier crawl's
    article under that URL (another post id, other content) counts too, so that a
    later crawl never makes one article a revision of another."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.seen: dict[str, str] = {}  # id:/fingerprint: key -> the fetched URL of the first copy
        self.claims: dict[str, tuple[str, str]] = {}  # url -> (id, fetched URL) of the article written under it
        self.written = ledger.for_crawler(crawler)  # lines a resumed crawl wrote before
        self.state = state.for_crawler(crawler)  # what earlier crawls wrote
        self.rejects = rejects.for_crawler(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        spider = self.crawler.spider
        fetched = item.pop("fetched_url", None) or item["url"]
        keys = [f"id:{item['id']}", f"fingerprint:{item['fingerprint']}"]
        first = next((self.seen[k] for k in keys if k in self.seen), None)
        if first is None and (item["id"] in self.written.ids or item["fingerprint"] in self.written.fingerprints):
            first = "an article written before the crawl was resumed"
        if first is not None:
            self.stats.inc_value("cable/duplicates")
            spider.logger.info("duplicate: %s (written as %s) is the same article as %s", fetched, item["url"], first)
            raise DropItem(f"duplicate of {first}", log_level="DEBUG")
        other = self.claimant(item)
        if other is not None:
            self.resolve_conflict(item, fetched, other)
        for key in keys:
            self.seen[key] = fetched
        self.claims[item["url"]] = (item["id"], fetched)
        return item

    def claimant(self, item, url: str | None = None) -> tuple[str, str] | None:
        """(id, where it was fetched) of another article already written under this URL:
        in this crawl, in the run it resumes, or by an earlier crawl (the crawl state).
        Called once the item is known to be no duplicate (its id and content are new)."""
        url = url or item["url"]
        if url in self.claims:
            return self.claims[url]
        if url in self.written.urls:
            return "?", "the run this crawl resumes"
        known = self.state.get(None, url)
        # Same URL, another post id, other content: another article. (A url- id is the
        # same article that had no post id when first seen.)
        if (known is not None and known.id != item["id"] and known.fingerprint != item["fingerprint"]
                and known.id.startswith("fp-") and item["id"].startswith("fp-")):
            return known.id, "an earlier crawl"
        return None

    def resolve_conflict(self, item, fetched: str, other: tuple[str, str]) -> None:
        """Another article (`other`: its id, where it was fetched) was written under this item's URL."""
        url = item["url"]
        other_id, other_fetched = other
        self.stats.inc_value("cable/url_conflicts")
        if fetched != url and self.claimant(item, fetched) is None:
            item["url"] = fetched
            if item["id"].startswith("url-"):  # derived from the URL, which changed
                item["id"] = article_id(None, fetched)
            self.crawler.spider.logger.warning(
                "URL conflict: %s names %s as its canonical URL, already written for another article"
                " (%s, fetched from %s): written under its fetched URL", fetched, url, other_id, other_fetched)
            return
        reason = (f"article page: URL conflict: {url} was already written for another article ({other_id},"
                  f" fetched from {other_fetched}); this page ({item['id']}) has another id and other content")
        self.rejects.add(fetched, "conflict", [reason], record(item))
        self.crawler.spider.logger.warning("rejected %s: %s", fetched, reason)
        raise DropItem(f"URL conflict: {url}", log_level="DEBUG")


class RevisionPipeline:
    """Compares each article with the crawl state (what earlier runs wrote)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.state = state.for_crawler(crawler)
        self.unchanged: list[dict] = []  # their listing signature is stored at the end

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def spider_closed(self, spider, reason):
        # Unchanged articles were not written; storing what the index showed for
        # them keeps the next incremental run from fetching them again.
        listings = ledger.for_crawler(self.crawler).listings
        self.state.record([{**entry, **listings.get(entry["id"], {})} for entry in self.unchanged])

    def process_item(self, item, spider=None):
        state.lock(self.crawler.settings)  # one crawl at a time records into a state (a no-op once held)
        known = self.state.get(item["id"], item["url"])
        if known is None:
            self.stats.inc_value("cable/articles_new")
            return item
        if known.fingerprint == item["fingerprint"] and (known.modified_at or None) == (item["modified_at"] or None):
            self.stats.inc_value("cable/articles_unchanged")
            self.unchanged.append({**record(item), "revision": known.revision})
            raise DropItem(f"unchanged since revision {known.revision}: {item['url']}", log_level="DEBUG")
        item["revision"] = known.revision + 1
        item["previous_fingerprint"] = known.fingerprint
        self.stats.inc_value("cable/articles_revised")
        self.crawler.spider.logger.info("revised: %s is now revision %d", item["url"], item["revision"])
        return item


class JsonLinesWriterPipeline:
    """Writes each article as one line of CABLE_OUTPUT_DIR/CABLE_JSONL_FILE.

    Not Scrapy's FEEDS: its file storage writes in place under the final name,
    so a crash leaves a truncated file there. Scrapy's -o/-O feeds still work
    beside this writer; set CABLE_JSONL_FILE to '' to turn the writer off.

    The file is published (renamed from .part) when the crawl finishes, or
    closes for any reason outside JOBDIR; then the crawl state records its
    lines in one transaction. Under JOBDIR a crawl that did not finish keeps
    its .part file, and the resumed crawl appends to it.

    A file that cannot be written (full disk, I/O error) stops the crawl and is
    never published: the state records nothing from it, so the next run writes
    those articles again (outputs.write_failed)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.file: AtomicJsonLinesFile | None = None
        self.failed = False
        self.ledger = ledger.for_crawler(crawler)
        self.state = state.for_crawler(crawler)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        closers(crawler).add(self.spider_closed)  # published before the monitors run

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        if not resume.for_crawler(self.crawler).resumed:
            return
        path = output_path(self.crawler, "CABLE_JSONL_FILE")
        if path is not None and path.with_name(path.name + ".part").exists():
            self.file = AtomicJsonLinesFile(path).open()  # cuts a torn last line
            count = self.ledger.load(self.file.part_path)
            self.crawler.stats.set_value("cable/articles_resumed", count)
            spider.logger.info("resuming %s: %d articles already written", self.file.part_path, count)

    def process_item(self, item, spider=None):
        if self.failed:
            self.crawler.stats.inc_value("cable/articles_not_written")
            raise DropItem(f"not written, the output file failed: {item['url']}", log_level="DEBUG")
        state.lock(self.crawler.settings)  # one crawl at a time records into a state (a no-op once held)
        try:
            if self.file is None:
                # Opened with the first article: a crawl that writes nothing leaves no empty file
                # (`scrapy parse`, an incremental run with nothing new).
                self.file = open_file(self.crawler, "CABLE_JSONL_FILE")
                if self.file is None:
                    return item
                self.crawler.spider.logger.info("writing articles to %s", self.file.part_path)
            line = record(item)
            self.file.write(line)
        except OSError as error:
            self.failed = True
            path = self.file.part_path if self.file else output_path(self.crawler, "CABLE_JSONL_FILE")
            write_failed(self.crawler, path, error, "cannot write the output file")
            self.crawler.stats.inc_value("cable/articles_not_written")
            raise DropItem(f"not written: {item['url']}", log_level="DEBUG") from None
        self.ledger.add(line)
        self.crawler.stats.inc_value("cable/articles_written")
        return item

    def spider_closed(self, spider, reason):
        keep = keep_for_resume(self.crawler, reason)
        stats = self.crawler.stats
        published = None
        if self.file is not None:
            try:
                published = self.file.close(publish=not keep and not self.failed)
            except OSError as error:
                self.failed = True
                write_failed(self.crawler, self.file.part_path, error, "cannot publish the output file")
            if published:
                stats.set_value("cable/output_file", str(published))
                stats.set_value("cable/output_published", str(published))
            elif self.failed:
                stats.set_value("cable/output_file", f"{self.file.part_path} (NOT published: write failed)")
            else:
                stats.set_value("cable/output_file", f"{self.file.part_path} (kept for resume)")
                stats.set_value("cable/output_kept_for_resume", str(self.file.part_path))
        if keep or self.failed:
            return  # the state is updated when the resumed crawl publishes the file; never for a failed one
        records = [json.loads(line) for line in published.read_text("utf-8").splitlines()] if published else []
        for entry in records:
            entry.update(self.ledger.listings.get(entry["id"], {}))
        crawl_state = self.state
        try:
            crawl_state.record(records)
            # Then what the crawl could not finish: failed articles to retry, archive walks to go on with.
            unfinished.for_crawler(self.crawler).record(crawl_state, self.crawler.stats, reason)
        except sqlite3.Error as error:  # published, but the next run will not know: it writes them again
            write_failed(self.crawler, crawl_state.path, error, f"cannot record {published} in the crawl state")
