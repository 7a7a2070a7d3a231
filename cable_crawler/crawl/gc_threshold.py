"""A larger first generation for Python's cyclic garbage collector while the engine runs.

Reading an article page allocates thousands of objects (the tree's node wrappers, texts,
candidate dicts), nearly all freed by reference counting. With Python's default threshold
(a collection every 700 allocations net) a 1,000-article crawl ran ~450 collections, three
of them of the whole heap (~40 ms each): ~0.25 s, 4 % of its CPU. With CABLE_GC_THRESHOLD
= 10,000: ~20 collections, none of the whole heap, ~0.09 s, and 3-7 % less CPU in
alternating runs (docs/design.md). What cycles hold waits for at most that many allocations
more; the peak RSS of a 1,000- and a 10,000-article crawl is unchanged (make bench).

A Scrapy extension, so that every way of running the crawl (our command, plain `scrapy
crawl`, Scrapyd) gets it; Python's thresholds are set back when the engine stops.
CABLE_GC_THRESHOLD = 0 leaves them alone.

`before_exit()` is for the end of a process whose crawl is over (the crawl command calls it).
"""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.exceptions import NotConfigured

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written


class GcThreshold:
    def __init__(self, threshold: int):
        if threshold < 0:
            raise ValueError(f"CABLE_GC_THRESHOLD={threshold}: a number of allocations, or 0 for Python's default")
        self.threshold = threshold
        self.previous: tuple[int, ...] | None = None

    @classmethod
    def from_crawler(cls, crawler):
        threshold = crawler.settings.getint("CABLE_GC_THRESHOLD", defaults.CABLE_GC_THRESHOLD)
        if threshold == 0:
            raise NotConfigured("CABLE_GC_THRESHOLD = 0: Python's default")
        extension = cls(threshold)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_started(self) -> None:
        self.previous = gc.get_threshold()
        gc.set_threshold(self.threshold, *self.previous[1:])  # the older generations as they were

    def engine_stopped(self) -> None:
        if self.previous is not None:
            gc.set_threshold(*self.previous)
            self.previous = None


def before_exit() -> None:
    """The crawl is over and the process is about to exit: the objects it holds (~100 MB
    after a 1,000-article crawl) are moved out of the collector's sight (gc.freeze), so that
    the interpreter's finalization does not walk them: 0.16-0.20 s of that crawl's exit,
    ~0.025 s frozen. Nothing waits on it: the crawl's files are written, closed and published
    by then, atexit handlers (logging's flush among them) still run, and Python does not
    promise to finalize objects still alive at exit anyway."""
    gc.freeze()
