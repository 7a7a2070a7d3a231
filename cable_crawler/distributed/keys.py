"""The Redis keys of one distributed crawl, and this worker's id."""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written

PREFIX = "cable_crawler"

INFLIGHT_META = "cable_inflight"  # request.meta: the token of the request in this worker's in-flight hash
PARENT_META = "cable_parent"      # request.meta: the token of the request whose callback yielded it


def worker_id(settings) -> str:
    """CABLE_WORKER_ID, else host name and process id: unique among the live workers, and a
    plain file-name part (it goes into the worker's output file name)."""
    value = settings.get("CABLE_WORKER_ID", defaults.CABLE_WORKER_ID) or f"{socket.gethostname()}-{os.getpid()}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", value).strip("._") or str(os.getpid())


@dataclass(frozen=True)
class CrawlKeys:
    """Every key of a crawl starts with cable_crawler:<crawl>: where <crawl> is CABLE_REDIS_CRAWL,
    else the channel slug (-a channel=): two crawls of two channels never share a key."""
    crawl: str

    @classmethod
    def of(cls, spider) -> "CrawlKeys":
        crawl = spider.settings.get("CABLE_REDIS_CRAWL", defaults.CABLE_REDIS_CRAWL)
        if not crawl:
            crawl = getattr(getattr(spider, "args", None), "channel", None) or spider.name
        return cls(crawl)

    def key(self, name: str) -> str:
        return f"{PREFIX}:{self.crawl}:{name}"

    @property
    def requests(self) -> str:      # scrapy-redis's priority queue (sorted set)
        return self.key("requests")

    @property
    def dupefilter(self) -> str:    # request fingerprints (set)
        return self.key("dupefilter")

    @property
    def articles(self) -> str:      # id:/url:/fingerprint: -> worker that wrote it, or pending:<worker> (hash)
        return self.key("articles")

    @property
    def workers(self) -> str:       # registered workers (set)
        return self.key("workers")

    def alive(self, worker: str) -> str:     # busy|idle, expires CABLE_REDIS_WORKER_TIMEOUT after its last heartbeat
        return self.key(f"alive:{worker}")

    def inflight(self, worker: str) -> str:  # token -> "score data" of each request it took (hash)
        return self.key(f"inflight:{worker}")

    def pending(self, worker: str) -> str:   # its article claims not yet written (set)
        return self.key(f"pending:{worker}")

    def all_fixed(self) -> list[str]:
        """Deleted by the last worker (the crawl state, state:*, stays for the next runs)."""
        return [self.requests, self.dupefilter, self.articles, self.workers, self.key("api:posts"),
                self.key("api:ids")]
