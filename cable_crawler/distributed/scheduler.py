"""scrapy-redis's scheduler, queue and dupefilter, with what a crawl that may lose a worker needs.

- InflightPriorityQueue: scrapy-redis's PriorityQueue, except that pop() moves the request into
  the popping worker's in-flight hash in the same Lua script (atomic: a SIGKILL cannot fall
  between taking a request and recording it). scrapy-redis's own pop removes it from Redis,
  so a killed worker's requests would be lost; from the in-flight hash another worker puts
  them back into the queue (coordinator.DistributedCrawl.recover).
- RedirectLoopAwareRedisDupeFilter: scrapy-redis's RFPDupeFilter under the crawl's key, with
  Scrapy's request fingerprints (REQUEST_FINGERPRINTER_CLASS: Splash-aware) instead of its own,
  and our rule for redirect loops (crawl/dupefilter.py).
- Scheduler: scrapy-redis's, keyed per crawl (keys.CrawlKeys), the dupefilter's check and the
  push into the queue in one Lua script (InflightPriorityQueue.push_unseen); a Redis error is reported
  once to the coordinator, which stops this worker (reason redis_lost), instead of raising
  into Scrapy's engine on every call.
"""

from __future__ import annotations

from redis.exceptions import RedisError
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from cable_crawler.crawl.dupefilter import is_redirect_loop
from cable_crawler.distributed.keys import INFLIGHT_META, PARENT_META, CrawlKeys


# KEYS: queue, in-flight hash, alive key; ARGV: alive key TTL (ms). Returns {token, data} or nil.
POP = """
local r = redis.call('zrange', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('zremrangebyrank', KEYS[1], 0, 0)
local token = redis.sha1hex(r[1])
redis.call('hset', KEYS[2], token, r[2] .. ' ' .. r[1])
redis.call('set', KEYS[3], 'busy', 'PX', ARGV[1])
return {token, r[1]}
"""


# KEYS: dupefilter, queue; ARGV: fingerprint ('' : not filtered), score, data. 1 queued, 0 seen before.
PUSH = """
if ARGV[1] ~= '' and redis.call('sadd', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('zadd', KEYS[2], ARGV[2], ARGV[3])
return 1
"""


class InflightPriorityQueue(PriorityQueue):
    inflight_key: str | None = None
    alive_key: str | None = None
    alive_ttl_ms: int = 30000

    def push_unseen(self, request, dupefilter_key: str, fingerprint: str | None) -> bool:
        """Records the fingerprint in the dupefilter and queues the request in one Lua script:
        scrapy-redis does it in two calls, and a worker killed between them would leave a request
        marked as seen that no queue holds (lost: nobody would request it again)."""
        data = self._encode_request(request)  # scrapy-redis's own encoder: the format pop() decodes
        return bool(self.server.eval(PUSH, 2, dupefilter_key, self.key, fingerprint or "", -request.priority, data))

    def pop(self, timeout=0):
        if self.inflight_key is None:
            return super().pop(timeout)
        result = self.server.eval(POP, 3, self.key, self.inflight_key, self.alive_key, self.alive_ttl_ms)
        if not result:
            return None
        token, data = result
        # scrapy-redis's own decoder (its serializer, Scrapy's request_from_dict): the format push() wrote.
        request = self._decode_request(data)
        request.meta[INFLIGHT_META] = token.decode() if isinstance(token, bytes) else token
        return request


class RedirectLoopAwareRedisDupeFilter(RFPDupeFilter):
    fingerprinter = None

    @classmethod
    def from_spider(cls, spider):
        dupefilter = cls(get_redis_from_settings(spider.settings), key=CrawlKeys.of(spider).dupefilter,
                         debug=spider.settings.getbool("DUPEFILTER_DEBUG"))
        dupefilter.fingerprinter = spider.crawler.request_fingerprinter
        return dupefilter

    def request_seen(self, request) -> bool:
        if is_redirect_loop(request):
            return False  # a loop hop: counted by RedirectMiddleware, not hidden here
        return super().request_seen(request)

    def request_fingerprint(self, request) -> str:
        if self.fingerprinter is not None:
            return self.fingerprinter.fingerprint(request).hex()
        return super().request_fingerprint(request)


class Scheduler(RedisScheduler):
    coordinator = None

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        # scrapy-redis 0.9 counts with stats.inc_value(..., spider=), deprecated in Scrapy 2.13 (a
        # warning on every crawl): the same two stats are counted here instead.
        scheduler.crawl_stats, scheduler.stats = crawler.stats, None
        return scheduler

    def open(self, spider):
        from cable_crawler.distributed.coordinator import DistributedCrawl  # it imports this module

        self.coordinator = DistributedCrawl.of(self.crawler)
        keys = CrawlKeys.of(spider)
        # Formatted by scrapy-redis with %(spider)s: our keys hold no placeholder, so they stay as they are.
        self.queue_key, self.dupefilter_key = keys.requests, keys.dupefilter
        super().open(spider)
        if isinstance(self.queue, InflightPriorityQueue):
            self.queue.inflight_key = keys.inflight(self.coordinator.worker)
            self.queue.alive_key = keys.alive(self.coordinator.worker)
            self.queue.alive_ttl_ms = int(self.coordinator.worker_timeout * 1000)
        self.coordinator.opened(self)

    def enqueue_request(self, request):
        if self.coordinator.lost:
            self.coordinator.not_queued(request)
            return False
        # A retry or redirect of a request this worker took: once it is in the queue, the request
        # it replaces is no longer this worker's to finish (it gets its own entry when popped).
        token = request.meta.pop(INFLIGHT_META, None)
        parent = request.meta.pop(PARENT_META, None)
        try:
            queued = self.push(request)
        except RedisError as error:
            self.coordinator.redis_lost(error)
            self.coordinator.not_queued(request)
            return False
        if queued:
            self.crawl_stats.inc_value("scheduler/enqueued/redis")
        if token:
            self.coordinator.done(token)
        if parent:
            self.coordinator.output_handled(parent)  # in Redis now (or filtered there as seen)
        return queued

    def push(self, request) -> bool:
        """scrapy-redis's enqueue_request (dupefilter, then queue), as one atomic step."""
        if not isinstance(self.queue, InflightPriorityQueue):
            return super().enqueue_request(request)
        filtered = not request.dont_filter and not is_redirect_loop(request)
        fingerprint = self.df.request_fingerprint(request) if filtered else None
        if not self.queue.push_unseen(request, self.df.key, fingerprint):
            self.df.log(request, self.spider)
            return False
        return True

    def next_request(self):
        if self.coordinator.lost:
            return None
        try:
            request = super().next_request()
        except RedisError as error:
            self.coordinator.redis_lost(error)
            return None
        if request is not None:
            self.crawl_stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self):
        if self.coordinator.lost:
            return False
        try:
            return super().has_pending_requests()
        except RedisError as error:
            self.coordinator.redis_lost(error)
            return False
