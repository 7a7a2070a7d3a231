"""DistributedAddon (listed in ADDONS): distributed mode when CABLE_REDIS_URL is set; nothing otherwise.

A Scrapy add-on (https://docs.scrapy.org/en/latest/topics/addons.html): update_settings runs
before the crawler's components are built, so an empty CABLE_REDIS_URL leaves every setting
as settings.py has it."""

from __future__ import annotations

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written
from cable_crawler.distributed.keys import worker_id

DEFAULT_FILES = {"CABLE_JSONL_FILE": defaults.CABLE_JSONL_FILE, "CABLE_REJECTS_FILE": defaults.CABLE_REJECTS_FILE}


def redis_url(settings) -> str:
    """The Redis of the distributed crawl this process is a worker of; empty when it is not one.
    The one rule for distributed mode, asked before anything imports Redis's client (~90 ms)."""
    return settings.get("CABLE_REDIS_URL", defaults.CABLE_REDIS_URL)


class DistributedAddon:
    def update_settings(self, settings):
        url = redis_url(settings)
        if not url:
            return
        worker = worker_id(settings)
        timeout = settings.getfloat("CABLE_REDIS_SOCKET_TIMEOUT", defaults.CABLE_REDIS_SOCKET_TIMEOUT)
        for name, value in {
            # scrapy-redis's documented settings (https://github.com/rmax/scrapy-redis#usage).
            "SCHEDULER": "cable_crawler.distributed.scheduler.Scheduler",
            "DUPEFILTER_CLASS": "cable_crawler.distributed.scheduler.RedirectLoopAwareRedisDupeFilter",
            "SCHEDULER_QUEUE_CLASS": "cable_crawler.distributed.scheduler.InflightPriorityQueue",
            "REDIS_URL": url,
            # Never flushed by a closing worker: the last worker deletes the crawl's keys (coordinator.py).
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_FLUSH_ON_START": False,
            "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
            # A lost Redis is found within seconds, not scrapy-redis's 30 s, and said once.
            "REDIS_PARAMS": {"socket_timeout": timeout, "socket_connect_timeout": timeout,
                             "retry_on_timeout": False, "encoding": "utf-8"},
        }.items():
            # "project": over settings.py's own SCHEDULER/DUPEFILTER_CLASS, under the command line's -s.
            settings.set(name, value, priority="project")
        settings.set_in_component_priority_dict(
            "EXTENSIONS", load("cable_crawler.distributed.coordinator.DistributedCrawl"), 1)
        settings.set_in_component_priority_dict(
            "ITEM_PIPELINES", load("cable_crawler.distributed.pipelines.ClaimPipeline"), 290)
        settings.set_in_component_priority_dict(
            "ITEM_PIPELINES", load("cable_crawler.distributed.pipelines.WrittenPipeline"), 310)
        settings.set_in_component_priority_dict(
            "SPIDER_MIDDLEWARES", load("cable_crawler.distributed.middlewares.DoneMiddleware"), 1)
        # Each worker its own files: <channel>-<stamp>-w<worker>.jsonl (merge.py makes one of them).
        for name, default in DEFAULT_FILES.items():
            template = settings.get(name, default)
            if template and "{stamp}" in template and worker not in template:
                stem, dot, ext = template.rpartition(".")
                settings.set(name, f"{stem}-w{worker}.{ext}" if dot else f"{template}-w{worker}",
                             priority=max(settings.getpriority(name) or 0, 20))


def load(path: str):
    from scrapy.utils.misc import load_object

    return load_object(path)
