"""DistributedCrawl: one worker's part in a distributed crawl (an extension, on in distributed mode).

- Heartbeat: every CABLE_REDIS_WORKER_TIMEOUT/4 s (at most 1 s) the worker sets its `alive` key (busy or idle),
  which expires CABLE_REDIS_WORKER_TIMEOUT s later: a worker that stops beating (SIGKILL, a lost
  machine, a hung process) is dead to the others from then on.
- Recovery: a worker that finds a registered worker without an `alive` key puts that worker's
  in-flight requests back into the queue and drops its article claims not yet written, in one
  Lua script (only one survivor recovers a given worker). What it had written stays claimed:
  those lines are in its output file (written and flushed line by line).
- End of crawl (scrapy-redis's spiders never close by themselves; ours close only when this
  says so): at spider_idle, the worker stays open while the queue has requests or another live
  worker is busy; once the queue has been empty and every live worker idle for
  CABLE_REDIS_IDLE_TIMEOUT s, it closes (finished). The last worker to finish deletes the
  crawl's keys (queue, dupefilter, claims), so the next crawl of the channel starts afresh; a
  worker that stops for any other reason (SIGTERM, Redis lost) leaves everything in Redis, and
  its in-flight requests go back to the queue for the others.
- Redis lost: one error line, stat cable/redis_lost, and this worker closes (reason redis_lost,
  exit status 1); nothing is written that was not claimed.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from urllib.parse import urlsplit, urlunsplit

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured
from twisted.internet import task

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written
from cable_crawler.crawl.wp_api import ApiPost
from cable_crawler.extraction.processors import canonical_url
from cable_crawler.distributed.addon import redis_url
from cable_crawler.distributed.keys import INFLIGHT_META, CrawlKeys, worker_id
from cable_crawler.distributed.state import SharedState
from cable_crawler.incremental.component import IncrementalCrawl

logger = logging.getLogger(__name__)

# KEYS: workers, alive:w, inflight:w, pending:w, articles, queue; ARGV: w.
# Returns the number of requests put back, or -1 (alive again) / -2 (recovered by another worker).
RECOVER = """
if redis.call('exists', KEYS[2]) == 1 then return -1 end
if redis.call('srem', KEYS[1], ARGV[1]) == 0 then return -2 end
local n = 0
for _, value in ipairs(redis.call('hvals', KEYS[3])) do
    local space = string.find(value, ' ', 1, true)
    redis.call('zadd', KEYS[6], tonumber(string.sub(value, 1, space - 1)), string.sub(value, space + 1))
    n = n + 1
end
for _, field in ipairs(redis.call('smembers', KEYS[4])) do
    if redis.call('hget', KEYS[5], field) == 'pending:' .. ARGV[1] then redis.call('hdel', KEYS[5], field) end
end
redis.call('del', KEYS[3], KEYS[4])
return n
"""

# KEYS: workers, alive:w, inflight:w, pending:w, queue, then the crawl's fixed keys; ARGV: w.
# This worker finished: it leaves; the last one (no worker left, queue empty) deletes the crawl's keys.
FINISH = """
redis.call('srem', KEYS[1], ARGV[1])
redis.call('del', KEYS[2], KEYS[3], KEYS[4])
local left = redis.call('scard', KEYS[1])
if left == 0 and redis.call('zcard', KEYS[5]) == 0 then
    for i = 6, #KEYS do redis.call('del', KEYS[i]) end
    return -1
end
return left
"""

# KEYS: articles, pending:w; ARGV: w, fields. Returns nil (claimed) or {field, owner}.
CLAIM = """
for i = 2, #ARGV do
    local owner = redis.call('hget', KEYS[1], ARGV[i])
    if owner then return {ARGV[i], owner} end
end
for i = 2, #ARGV do
    redis.call('hset', KEYS[1], ARGV[i], 'pending:' .. ARGV[1])
    redis.call('sadd', KEYS[2], ARGV[i])
end
return false
"""

# KEYS: articles, pending:w; ARGV: w, fields. Only this worker's own pending claims become written ones:
# a worker taken for dead (no heartbeat for CABLE_REDIS_WORKER_TIMEOUT) that writes after all never takes
# over a claim another worker made meanwhile (then returns 0: the merge keeps one copy).
WRITTEN = """
local own = 1
for i = 2, #ARGV do
    local owner = redis.call('hget', KEYS[1], ARGV[i])
    if owner == false or owner == 'pending:' .. ARGV[1] then
        redis.call('hset', KEYS[1], ARGV[i], ARGV[1])
    elseif owner ~= ARGV[1] then
        own = 0
    end
    redis.call('srem', KEYS[2], ARGV[i])
end
return own
"""


def safe_url(url: str | None) -> str:
    """The Redis URL without its password, for logs and errors."""
    parts = urlsplit(url or "")
    if parts.password is None:
        return url or ""
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class DistributedCrawl:
    def __init__(self, crawler):
        settings = crawler.settings
        if not redis_url(settings):
            raise NotConfigured("not a distributed crawl (CABLE_REDIS_URL is empty)")
        self.crawler = crawler
        self.stats = crawler.stats
        self.worker = worker_id(settings)
        self.worker_timeout = settings.getfloat("CABLE_REDIS_WORKER_TIMEOUT", defaults.CABLE_REDIS_WORKER_TIMEOUT)
        self.idle_timeout = settings.getfloat("CABLE_REDIS_IDLE_TIMEOUT", defaults.CABLE_REDIS_IDLE_TIMEOUT)
        self.scheduler = None  # distributed/scheduler.py's Scheduler, once it opened (it finds this component)
        self.shared_state: SharedState | None = None
        self.server = None
        self.keys: CrawlKeys | None = None
        self.lost: str | None = None
        self.idle_since: float | None = None
        self.heartbeat = task.LoopingCall(self.beat)
        # token of a request taken -> [outputs of its callback not handled yet, callback output complete]
        self.outputs: dict[str, list] = {}
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self.item_handled, signal=signal)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @classmethod
    def of(cls, crawler) -> DistributedCrawl:
        component = crawler.get_extension(cls)
        if component is None:
            raise RuntimeError("cable_crawler.distributed.coordinator.DistributedCrawl is not in EXTENSIONS: "
                               "distributed mode needs it (cable_crawler/distributed/addon.py adds it)")
        return component

    @property
    def spider(self):
        return self.crawler.spider

    # ---------------------------------------------------------------- life of the worker

    def opened(self, scheduler) -> None:
        """Called by the scheduler once it is open (its Redis connection checked by scrapy-redis)."""
        self.scheduler = scheduler
        self.server = scheduler.server
        self.keys = CrawlKeys.of(self.spider)
        self.shared_state = SharedState(self.server, self.keys, on_error=self.redis_lost)
        IncrementalCrawl.of(self.crawler).shared = self.shared_state  # known() asks it first
        self.stats.set_value("cable/distributed/worker", self.worker)
        self.stats.set_value("cable/distributed/crawl", self.keys.crawl)
        try:
            self.server.sadd(self.keys.workers, self.worker)
            self.server.set(self.keys.alive(self.worker), "busy", px=int(self.worker_timeout * 1000))
            workers = self.server.scard(self.keys.workers)
            queued = self.server.zcard(self.keys.requests)
        except RedisError as error:
            self.redis_lost(error)
            return
        logger.info("distributed crawl %s: worker %s joins (%d worker(s) registered, %d request(s) in the queue)",
                    self.keys.crawl, self.worker, workers, queued)
        # Also how often an idle worker looks at the queue: at least once a second.
        self.heartbeat.start(min(max(self.worker_timeout / 4, 0.2), 1.0), now=False)

    def beat(self) -> None:
        if self.lost or self.keys is None:
            return
        try:
            busy = self.holds_work()
            self.server.sadd(self.keys.workers, self.worker)
            self.server.set(self.keys.alive(self.worker), "busy" if busy else "idle",
                            px=int(self.worker_timeout * 1000))
            recovered = self.recover()
            # Take the queue's requests now (not at the engine's next 5 s look), or see sooner whether
            # the idle timeout has run out.
            if recovered or self.idle_since is not None or self.server.zcard(self.keys.requests):
                self.wake()
        except RedisError as error:
            self.redis_lost(error)
        except RuntimeError:
            pass  # the engine has no slot: the spider is closing

    def holds_work(self) -> bool:
        """Downloads in progress, or responses and items being processed, in this worker
        (requests waiting in Redis are the crawl's, not this worker's)."""
        engine = self.crawler.engine
        if engine is None:
            return False
        scraper_slot = getattr(engine.scraper, "slot", None)
        return bool(engine.downloader.active) or (scraper_slot is not None and not scraper_slot.is_idle())

    def wake(self) -> None:
        """Requests are waiting in Redis while this worker's engine is idle: asks the engine to take
        them now. Scrapy has no public call for this: an idle engine looks at its scheduler every
        5 s (its slot heartbeat); _slot.nextcall.schedule() is what engine.crawl() itself does.
        Without it (another Scrapy), the worker still joins in, 5 s later."""
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def recover(self) -> int:
        """Puts back the in-flight requests of registered workers whose heartbeat stopped."""
        total = 0
        for member in self.server.smembers(self.keys.workers):
            other = member.decode() if isinstance(member, bytes) else member
            if other == self.worker or self.server.exists(self.keys.alive(other)):
                continue
            keys = self.keys
            count = self.server.eval(RECOVER, 6, keys.workers, keys.alive(other), keys.inflight(other),
                                     keys.pending(other), keys.articles, keys.requests, other)
            if count >= 0:
                total += count
                self.stats.inc_value("cable/distributed/workers_recovered")
                self.stats.inc_value("cable/distributed/requests_recovered", count)
                logger.warning("distributed crawl %s: worker %s stopped beating (no heartbeat for %.0f s): its %d"
                               " request(s) in flight are back in the queue, its unwritten article claims dropped",
                               keys.crawl, other, self.worker_timeout, count)
        return total

    def done(self, token: str | None) -> None:
        """A request this worker took is finished (its callback's output handled): out of its in-flight hash."""
        if token and not self.lost and self.keys is not None:
            try:
                self.stats.inc_value("cable/distributed/requests_done", self.server.hdel(self.keys.inflight(self.worker), token))
            except RedisError as error:
                self.redis_lost(error)

    # What a callback returned for a request taken (middlewares.DoneMiddleware counts it): the request
    # is done once its output is complete and each element handled.

    def output_started(self, token: str) -> None:
        self.outputs.setdefault(token, [0, False])[0] += 1

    def output_complete(self, token: str | None) -> None:
        if token is not None:
            self.outputs.setdefault(token, [0, False])[1] = True
            self._maybe_done(token)

    def output_handled(self, token: str) -> None:
        if token in self.outputs:
            self.outputs[token][0] -= 1
            self._maybe_done(token)

    def item_handled(self, item, response=None, **kwargs) -> None:
        request = getattr(response, "request", None)  # None for an errback's items (response: a Failure)
        token = request.meta.get(INFLIGHT_META) if request is not None else None
        if token:
            self.output_handled(token)

    def _maybe_done(self, token: str) -> None:
        pending, complete = self.outputs[token]
        if complete and pending <= 0:
            del self.outputs[token]
            self.done(token)

    def spider_idle(self, spider):
        """Scrapy's spider_idle: this worker has nothing to do. Closes only when the crawl is over."""
        if self.lost:
            raise CloseSpider("redis_lost")
        if self.keys is None:
            return
        try:
            recovered = self.recover()
            queued = self.server.zcard(self.keys.requests)
            if recovered or queued:
                self.idle_since = None
                self.wake()
                raise DontCloseSpider
            self.server.set(self.keys.alive(self.worker), "idle", px=int(self.worker_timeout * 1000))
            busy = []
            for member in self.server.smembers(self.keys.workers):
                other = member.decode() if isinstance(member, bytes) else member
                state = self.server.get(self.keys.alive(other)) if other != self.worker else b"idle"
                if state == b"busy":
                    busy.append(other)
        except RedisError as error:
            self.redis_lost(error)
            raise CloseSpider("redis_lost") from None
        now = time.monotonic()
        if busy:
            self.idle_since = None
            raise DontCloseSpider
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_timeout:
            raise DontCloseSpider
        logger.info("distributed crawl %s: the queue is empty and no worker holds work (for %.1f s,"
                    " CABLE_REDIS_IDLE_TIMEOUT=%s): worker %s ends", self.keys.crawl, now - self.idle_since,
                    self.idle_timeout, self.worker)

    def spider_closed(self, spider, reason):
        if self.heartbeat.running:
            self.heartbeat.stop()
        if self.keys is None or self.lost:
            return
        keys = self.keys
        try:
            if reason == "finished":
                left = self.server.eval(FINISH, 5 + len(keys.all_fixed()), keys.workers, keys.alive(self.worker),
                                        keys.inflight(self.worker), keys.pending(self.worker), keys.requests,
                                        *keys.all_fixed(), self.worker)
                if left == -1:
                    logger.info("distributed crawl %s: finished; worker %s was the last one: the crawl's keys are"
                                " deleted from Redis", keys.crawl, self.worker)
                    self.stats.set_value("cable/distributed/crawl_finished", True)
                else:
                    logger.info("distributed crawl %s: worker %s finished; %d worker(s) still registered",
                                keys.crawl, self.worker, left)
            else:
                # Its in-flight requests go back to the queue at once (recovered by the next heartbeat of
                # another worker, or by the next worker to join); the crawl's keys stay.
                self.server.delete(keys.alive(self.worker))
                logger.warning("distributed crawl %s: worker %s stopped (%s): the queue, the dupefilter and its"
                               " requests in flight stay in Redis for the other workers or the next one",
                               keys.crawl, self.worker, reason)
        except RedisError as error:
            self.redis_lost(error)

    # ---------------------------------------------------------------- article claims

    def claim(self, fields: list[str]) -> tuple[str, str] | None:
        """Claims an article (its id:, url: and fingerprint: fields) for this worker, atomically:
        None when claimed, else (field, owner) of the worker that has it. Raises RedisError."""
        owner = self.server.eval(CLAIM, 2, self.keys.articles, self.keys.pending(self.worker), self.worker, *fields)
        if not owner:
            return None
        return tuple(v.decode() if isinstance(v, bytes) else v for v in owner)

    def claimed_written(self, fields: list[str]) -> None:
        own = self.server.eval(WRITTEN, 2, self.keys.articles, self.keys.pending(self.worker), self.worker, *fields)
        if not own:
            self.stats.inc_value("cable/distributed/claims_lost")
            logger.warning("distributed crawl %s: worker %s wrote %s after its claim was dropped (it was taken for"
                           " dead: no heartbeat for %.0f s); another worker claimed it meanwhile: the merge keeps"
                           " one copy", self.keys.crawl, self.worker, fields[1][4:], self.worker_timeout)

    # ---------------------------------------------------------------- the WordPress API's posts

    def share_api_posts(self, posts) -> None:
        """Posts of the API's list read by this worker (source=api|both), for the workers that read
        no API page: the spider's cross-check (true UTC dates) then gives every worker's articles
        the same values as a single-process crawl would. Kept with the crawl's keys."""
        try:
            pipe = self.server.pipeline(transaction=False)
            for post in posts:
                pipe.hset(self.keys.key("api:posts"), canonical_url(post.link), json.dumps(asdict(post)))
                pipe.hset(self.keys.key("api:ids"), str(post.id), canonical_url(post.link))
            pipe.execute()
        except RedisError as error:
            self.redis_lost(error)

    def api_post(self, urls, post_id: int | None = None) -> ApiPost | None:
        try:
            for url in [canonical_url(u) for u in urls if u]:
                data = self.server.hget(self.keys.key("api:posts"), url)
                if data:
                    break
            else:
                link = self.server.hget(self.keys.key("api:ids"), str(post_id)) if post_id is not None else None
                data = self.server.hget(self.keys.key("api:posts"), link) if link else None
        except RedisError as error:
            self.redis_lost(error)
            return None
        if not data:
            return None
        fields = json.loads(data)
        return ApiPost(**{**fields, "authors": tuple(fields.get("authors") or ())})

    # ---------------------------------------------------------------- Redis lost

    def redis_lost(self, error: Exception) -> None:
        if self.lost:
            return
        self.lost = f"{type(error).__name__}: {error}"
        self.stats.set_value("cable/redis_lost", self.lost)
        logger.error("distributed crawl: Redis at %s cannot be reached (%s): worker %s stops; nothing more is"
                     " written by it", safe_url(self.crawler.settings.get("CABLE_REDIS_URL")), self.lost, self.worker)
        if self.heartbeat.running:
            self.heartbeat.stop()

    def not_queued(self, request) -> None:
        self.stats.inc_value("cable/distributed/requests_not_queued")
