"""DoneMiddleware: a request this worker took is finished once everything its callback returned is handled."""

from __future__ import annotations

from scrapy import Request

from cable_crawler.distributed.coordinator import DistributedCrawl
from cable_crawler.distributed.keys import INFLIGHT_META, PARENT_META


class DoneMiddleware:
    """Spider middleware, outermost (lowest order). Counts what the callback returns for a request
    this worker took from the queue: each request it yields is handled once the scheduler has put it
    into Redis (Scheduler.enqueue_request), each item once the item pipelines are through with it
    (item_scraped, item_dropped, item_error). Scrapy hands the callback's output to its scraper
    through a queue, so the end of this loop is not the end of that work; when both are over, the
    request leaves this worker's in-flight hash (DistributedCrawl.output_handled). Until then, a
    recovery gives it to another worker. Requests whose callback never runs or fails (an errback's
    output, a callback that raised) stay in the hash until the worker finishes: recovered after a
    SIGKILL, they are fetched again and their articles dropped as claimed: nothing is lost."""

    def __init__(self, crawler):
        self.coordinator = DistributedCrawl.of(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_spider_output(self, response, result, spider=None):
        token = response.meta.get(INFLIGHT_META)
        for element in result:
            self.count(token, element)
            yield element
        self.coordinator.output_complete(token)

    async def process_spider_output_async(self, response, result, spider=None):
        token = response.meta.get(INFLIGHT_META)
        async for element in result:
            self.count(token, element)
            yield element
        self.coordinator.output_complete(token)

    def count(self, token, element) -> None:
        if token is None or element is None:
            return
        if isinstance(element, Request):
            element.meta[PARENT_META] = token
        self.coordinator.output_started(token)
