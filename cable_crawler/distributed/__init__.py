"""Distributed mode: several `scrapy crawl cable` workers, one crawl, through one Redis.

Off unless CABLE_REDIS_URL is set (addon.DistributedAddon, listed in ADDONS). Then:
- scrapy-redis's scheduler and a Redis dupefilter share one frontier (scheduler.py);
- each worker (coordinator.DistributedCrawl) announces itself with a heartbeat, keeps the
  requests it took from the queue in its own in-flight hash until their callbacks are done,
  and hands back the in-flight requests of a worker whose heartbeat stopped (SIGKILL, a lost
  machine); the crawl ends when the queue is empty and no live worker holds work;
- articles are claimed in Redis before they are written (pipelines.py), so no two workers
  write one article; each worker writes its own JSONL file, merge.py makes one file of a crawl.
See docs/design.md ("Distributed crawling") and docs/operations.md ("Several workers").
"""
