"""Article claims in Redis: no two workers write one article.

ClaimPipeline (before the writer) claims the article's id, canonical URL and content
fingerprint in one Lua script (atomic, like SET NX on three keys at once): the first worker
gets it, every other one drops its copy (stat cable/distributed/claimed_elsewhere). The claim is
`pending:<worker>` until the writer has written the line; WrittenPipeline (after the writer)
then makes it `<worker>` and records the article in the crawl state every worker reads
(distributed/state.py). A worker that dies between the two leaves a pending claim, which the
worker that recovers it drops, with its in-flight requests: the article is written by another.
A claim that cannot be made (Redis lost) is not written either.
"""

from __future__ import annotations

from redis.exceptions import RedisError
from scrapy.exceptions import DropItem

from cable_crawler.distributed.coordinator import DistributedCrawl
from cable_crawler.incremental.component import IncrementalCrawl


def claim_fields(item) -> list[str]:
    return [f"id:{item['id']}", f"url:{item['url']}", f"fingerprint:{item['fingerprint']}"]


class ClaimPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.coordinator = DistributedCrawl.of(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        stats = self.crawler.stats
        if self.coordinator.lost:
            stats.inc_value("cable/distributed/articles_not_claimed")
            raise DropItem(f"not written, Redis is lost: {item['url']}", log_level="DEBUG")
        try:
            owner = self.coordinator.claim(claim_fields(item))
        except RedisError as error:
            self.coordinator.redis_lost(error)
            stats.inc_value("cable/distributed/articles_not_claimed")
            raise DropItem(f"not written, Redis is lost: {item['url']}", log_level="DEBUG") from None
        if owner is not None:
            field, worker = owner
            stats.inc_value("cable/distributed/claimed_elsewhere")
            self.crawler.spider.logger.info("distributed: %s is written by worker %s (same %s)", item["url"],
                                            worker.removeprefix("pending:"), field.split(":", 1)[0])
            raise DropItem(f"claimed by {worker}: {item['url']}", log_level="DEBUG")
        return item


class WrittenPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.coordinator = DistributedCrawl.of(crawler)
        self.incremental = IncrementalCrawl.of(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        try:
            self.coordinator.claimed_written(claim_fields(item))
            # The crawl state every worker reads (distributed/state.py): known to the next runs.
            self.coordinator.shared_state.record(item, self.incremental.listing_fields(item["id"]))
        except RedisError as error:
            self.coordinator.redis_lost(error)
        return item
