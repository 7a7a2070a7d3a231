"""The crawl state every worker of a distributed crawl reaches: what earlier runs wrote, in Redis.

The part of the crawl state (incremental/state.py) that decides what a run fetches and how it
numbers revisions: one entry per article id (URL, fingerprint, modified_at, revision, index
signature) and every URL it was reached under. Recorded by each worker as it writes a line
(pipelines.WrittenPipeline), so that the lines of a worker killed mid-crawl are known too, and
never deleted with the crawl's other keys: an incremental run of the same crawl (channel or
CABLE_REDIS_CRAWL) then skips what any worker of any earlier run wrote. IncrementalCrawl.known()
asks it first, then the worker's own SQLite state. Failed articles, unfinished index walks and
rejected pages stay in each worker's SQLite state (docs/design.md says why).
"""

from __future__ import annotations

import json

from redis.exceptions import RedisError

from cable_crawler.distributed.keys import CrawlKeys
from cable_crawler.incremental.state import Known

FIELDS = ("id", "url", "fingerprint", "modified_at", "revision", "listing_signature")


class SharedState:
    def __init__(self, server, keys: CrawlKeys, on_error=None):
        self.server = server
        self.on_error = on_error  # called with a RedisError of get(): the coordinator stops the worker
        self.articles = keys.key("state:articles")  # id -> JSON of FIELDS
        self.urls = keys.key("state:urls")          # URL -> id

    def get(self, article_id: str | None = None, url: str | None = None) -> Known | None:
        """The article any worker wrote with this id, or under this URL; None when Redis fails
        (said by on_error: the worker stops, and writes nothing it cannot claim)."""
        try:
            return self._get(article_id, url)
        except RedisError as error:
            if self.on_error is None:
                raise
            self.on_error(error)
            return None

    def _get(self, article_id: str | None, url: str | None) -> Known | None:
        if not article_id and url:
            found = self.server.hget(self.urls, url)
            article_id = found.decode() if isinstance(found, bytes) else found
        data = self.server.hget(self.articles, article_id) if article_id else None
        if data is None and url and article_id:
            found = self.server.hget(self.urls, url)
            data = self.server.hget(self.articles, found) if found else None
        if data is None:
            return None
        entry = json.loads(data)
        return Known(*(entry.get(name) for name in FIELDS))

    def record(self, line: dict, listing: dict | None = None) -> None:
        """A line a worker wrote (with what the index showed for it)."""
        listing = listing or {}
        entry = {name: line.get(name) for name in FIELDS}
        entry["listing_signature"] = listing.get("listing_signature")
        pipe = self.server.pipeline(transaction=True)
        pipe.hset(self.articles, line["id"], json.dumps(entry, sort_keys=True))
        for url in {line["url"], *(listing.get("listing_urls") or [])}:
            pipe.hset(self.urls, url, line["id"])
        pipe.execute()
