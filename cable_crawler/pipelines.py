"""Item pipelines, in order (see ITEM_PIPELINES in settings):

1. ValidationPipeline — invalid items and failed pages go to the rejects file
   with their reasons, are counted, and stop here; the crawl goes on.
2. DeduplicationPipeline — one item per id, canonical URL and content fingerprint.
3. RevisionPipeline — against the crawl state: new articles are revision 1,
   changed ones the next revision, unchanged ones are not written again.
4. JsonLinesWriterPipeline — one UTF-8 JSON object per line, crash-safe; when
   the file is published, the crawl state records what it holds.
"""

from __future__ import annotations

import json

from scrapy import signals
from scrapy.exceptions import DropItem

from . import ledger, rejects, resume, state, unfinished
from .items import PageFailure
from .jsonlines import AtomicJsonLinesFile
from .outputs import keep_for_resume, output_path
from .validation import problems, record


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
            self.rejects.add(data.get("url"), "invalid_item", reasons, data)
            self.crawler.spider.logger.warning("rejected %s: %s", data.get("url"), "; ".join(reasons))
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
        max_runs = self.crawler.settings.getint("CABLE_FAILED_MAX_ATTEMPTS", 5)
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
    """Drops the second and later copies of an article within one crawl: same id,
    same canonical URL, or the same content (fingerprint) under another URL."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.seen: dict[str, str] = {}
        self.written = ledger.for_crawler(crawler)  # lines a resumed crawl wrote before

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        spider = self.crawler.spider
        keys = [f"id:{item['id']}", f"url:{item['url']}", f"fingerprint:{item['fingerprint']}"]
        first = next((self.seen[k] for k in keys if k in self.seen), None)
        if first is None and (self.written.has(item["id"], item["url"])
                              or item["fingerprint"] in self.written.fingerprints):
            first = "an article written before the crawl was resumed"
        if first is not None:
            self.stats.inc_value("cable/duplicates")
            spider.logger.info("duplicate: %s is the same article as %s", item["url"], first)
            raise DropItem(f"duplicate of {first}", log_level="DEBUG")
        for key in keys:
            self.seen[key] = item["url"]
        return item


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
    its .part file, and the resumed crawl appends to it."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.file: AtomicJsonLinesFile | None = None
        self.ledger = ledger.for_crawler(crawler)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

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
        if self.file is None:
            # Opened with the first article: a crawl that writes nothing leaves no empty file
            # (`scrapy parse`, an incremental run with nothing new).
            path = output_path(self.crawler, "CABLE_JSONL_FILE")
            if path is None:
                return item
            self.file = AtomicJsonLinesFile(path).open()
            self.crawler.spider.logger.info("writing articles to %s", self.file.part_path)
        line = record(item)
        self.file.write(line)
        self.ledger.add(line)
        self.crawler.stats.inc_value("cable/articles_written")
        return item

    def spider_closed(self, spider, reason):
        keep = keep_for_resume(self.crawler, reason)
        published = None
        if self.file is not None:
            published = self.file.close(publish=not keep)
            if published:
                self.crawler.stats.set_value("cable/output_file", str(published))
            else:
                self.crawler.stats.set_value("cable/output_file", f"{self.file.part_path} (kept for resume)")
        if keep:
            return  # the state is updated when the resumed crawl publishes the file
        records = [json.loads(line) for line in published.read_text("utf-8").splitlines()] if published else []
        for entry in records:
            entry.update(self.ledger.listings.get(entry["id"], {}))
        crawl_state = state.for_crawler(self.crawler)
        crawl_state.record(records)
        # Then what the crawl could not finish: failed articles to retry, archive walks to go on with.
        unfinished.for_crawler(self.crawler).record(crawl_state, self.crawler.stats, reason)
