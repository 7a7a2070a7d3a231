"""Item pipelines, in order (see ITEM_PIPELINES in settings):

1. ValidationPipeline — invalid items and failed pages go to the rejects file
   with their reasons, are counted, and stop here; the crawl goes on.
2. DeduplicationPipeline — one item per id, canonical URL and content fingerprint.
3. JsonLinesWriterPipeline — one UTF-8 JSON object per line, crash-safe.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import DropItem

from .items import PageFailure
from .jsonlines import AtomicJsonLinesFile, utc_stamp
from .validation import problems, record


def run_stamp(spider) -> str:
    """One UTC timestamp per crawl, shared by the output and rejects file names."""
    if not getattr(spider, "run_stamp", None):
        spider.run_stamp = utc_stamp()
    return spider.run_stamp


# Defaults, also used when the pipelines run outside this project's settings.
DEFAULT_FILES = {
    "CABLE_OUTPUT_DIR": "output",
    "CABLE_JSONL_FILE": "the-cable-{stamp}.jsonl",
    "CABLE_REJECTS_FILE": "rejects-{stamp}.jsonl",
}


def output_path(settings, setting: str, spider) -> Path | None:
    """CABLE_OUTPUT_DIR/<file name template>, or None when the setting is ''."""
    template = settings.get(setting, DEFAULT_FILES[setting])
    if not template:
        return None
    directory = settings.get("CABLE_OUTPUT_DIR", DEFAULT_FILES["CABLE_OUTPUT_DIR"])
    return Path(directory) / template.format(stamp=run_stamp(spider))


def _reason_key(reason: str) -> str:
    """Stats key for a reason, without the values that vary per page:
    'article page: HTTP 404' -> article_page_http_404,
    'article page: TimeoutError: took longer...' -> article_page_timeouterror,
    'published_at: 'x' does not match ...' -> invalid_published_at,
    'empty body (no article paragraphs found)' -> empty_body."""
    parts = [part.strip() for part in reason.split(":")]
    if len(parts) > 1 and parts[0].endswith("page"):
        head = f"{parts[0]} {parts[1]}"
    elif len(parts) > 1:
        head = f"invalid {parts[0]}"
    else:
        head = reason.split("(")[0]
    return re.sub(r"[^a-z0-9_]+", "_", head.lower()).strip("_")[:60] or "unknown"


class ValidationPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.rejects: AtomicJsonLinesFile | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        spider = self.crawler.spider
        if isinstance(item, PageFailure):
            self.reject(spider, {"url": item.get("url"), "status": item.get("status")},
                        [item.get("reason") or "failed"], kind="page_failure")
            raise DropItem(f"page failed: {item.get('url')}", log_level="DEBUG")
        data = record(item)
        reasons = problems(data)
        if reasons:
            self.reject(spider, data, reasons, kind="invalid_item")
            spider.logger.warning("rejected %s: %s", data.get("url"), "; ".join(reasons))
            raise DropItem(f"invalid item: {data.get('url')}", log_level="DEBUG")
        return item

    def reject(self, spider, data: dict, reasons: list[str], kind: str) -> None:
        if self.rejects is None:
            path = output_path(self.crawler.settings, "CABLE_REJECTS_FILE", spider)
            self.rejects = AtomicJsonLinesFile(path).open() if path else None
        if self.rejects is not None:
            self.rejects.write({
                "url": data.get("url"), "kind": kind, "reasons": reasons,
                "rejected_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
                "item": data,
            })
        self.stats.inc_value("cable/rejects")
        for reason in reasons:
            self.stats.inc_value(f"cable/rejects/{_reason_key(reason)}")

    def spider_closed(self, spider, reason):
        if self.rejects is not None:
            path = self.rejects.close()
            self.stats.set_value("cable/rejects_file", str(path))


class DeduplicationPipeline:
    """Drops the second and later copies of an article within one crawl: same id,
    same canonical URL, or the same content (fingerprint) under another URL."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.seen: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        spider = self.crawler.spider
        keys = [f"id:{item['id']}", f"url:{item['url']}", f"fingerprint:{item['fingerprint']}"]
        first = next((self.seen[k] for k in keys if k in self.seen), None)
        if first is not None:
            self.stats.inc_value("cable/duplicates")
            spider.logger.info("duplicate: %s is the same article as %s", item["url"], first)
            raise DropItem(f"duplicate of {first}", log_level="DEBUG")
        for key in keys:
            self.seen[key] = item["url"]
        return item


class JsonLinesWriterPipeline:
    """Writes each article as one line of CABLE_OUTPUT_DIR/CABLE_JSONL_FILE.

    Not Scrapy's FEEDS: its file storage writes in place under the final name,
    so a crash leaves a truncated file there. Scrapy's -o/-O feeds still work
    beside this writer; set CABLE_JSONL_FILE to '' to turn the writer off."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.file: AtomicJsonLinesFile | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        if self.file is None:
            # Opened with the first article: a crawl that writes nothing leaves no empty file
            # (`scrapy parse`, an incremental run with nothing new).
            path = output_path(self.crawler.settings, "CABLE_JSONL_FILE", self.crawler.spider)
            if path is None:
                return item
            self.file = AtomicJsonLinesFile(path).open()
            self.crawler.spider.logger.info("writing articles to %s", self.file.part_path)
        self.file.write(record(item))
        self.crawler.stats.inc_value("cable/articles_written")
        return item

    def spider_closed(self, spider, reason):
        if self.file is not None:
            path = self.file.close()
            self.crawler.stats.set_value("cable/output_file", str(path))
