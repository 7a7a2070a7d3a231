"""A Scrapy extension for `make bench`: when a crawl's engine starts, when each item is
scraped and when the spider closes (time.time(), so that the bench can put them beside its
own clock of the process's start and end), written as JSON to BENCH_TIMELINE_FILE at the
close. The bench adds it to one run of each contender (benchmarks/bench.py, "where the time
goes"): start-up, the wait for the first item, the pace in the middle of the crawl and the
close, which the totals alone do not tell apart."""

from __future__ import annotations

import json
import time
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured


class CrawlTimeline:
    def __init__(self, path: Path):
        self.path = path
        self.marks: dict = {"items": []}

    @classmethod
    def from_crawler(cls, crawler) -> CrawlTimeline:
        path = crawler.settings.get("BENCH_TIMELINE_FILE")
        if not path:
            raise NotConfigured("BENCH_TIMELINE_FILE is not set")
        timeline = cls(Path(path))
        crawler.signals.connect(timeline.engine_started, signal=signals.engine_started)
        crawler.signals.connect(timeline.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(timeline.spider_closed, signal=signals.spider_closed)
        return timeline

    def engine_started(self) -> None:
        self.marks["engine_started"] = time.time()

    def item_scraped(self, item, response, spider) -> None:
        self.marks["items"].append(time.time())

    def spider_closed(self, spider) -> None:
        self.marks["spider_closed"] = time.time()
        self.path.write_text(json.dumps(self.marks), "utf-8")
