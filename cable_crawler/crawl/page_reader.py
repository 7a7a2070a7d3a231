"""Where article pages are read: in worker processes beside the crawl (CABLE_READER_PROCESSES,
1 by default), or in the crawl's own process (0).

Why a second process: reading a page (parse, find, normalize: ~2.4 ms of a crawl's ~5.4 ms
an article) is Python that holds the crawl process's one core, and the downloads, the
pipelines and the log wait for it. In a worker it runs on another core while the crawl goes
on (docs/design.md, "Reading pages in a worker process": a 1,000-article loopback crawl on 2
cores, `-a source=html`: throughput ratio to the bare spider 0.65-0.67 read in process,
0.83-0.94 with the worker).

How:
- Workers started when the first article page is requested, with Twisted's `spawnProcess` (`python -m
  cable_crawler.crawl.page_reader`), the crawl's `sys.path` (an egg of Scrapyd's included)
  and its collector thresholds: they run the same code. A page goes to the worker with the
  fewest pages waiting.
- Until a worker is ready (its imports: ~0.25 s), a page of at most EARLY_PAGE_BYTES is read in
  the crawl's process (`cable/reader/pages_read_before_worker_ready`); a larger one waits for
  the worker. So a small crawl does not wait for the worker's start (100 new articles:
  1.22-1.29 s, as fast as reading in process, against 1.89-2.04 s when every page waited).
- Each page goes to a worker as one frame on its stdin (length, then a pickle): the response's URL,
  status, headers, body and encoding, the page's time limit, and the crawl's article URLs the
  worker has not been sent yet (a page's canonical link may not claim one of them). It answers
  in order, one frame a page, on its stdout; its own prints go to stderr.
- It reads a page as the crawl's process does (`read_response`: `parse_time_limit` in its main
  thread), so the items are the same.
- A watchdog in the crawl's process: a page not answered READER_GRACE_SECONDS after its limit
  (after SHUTDOWN_PARSE_SECONDS once the crawl is stopping) has the worker killed, which ends
  even one long C call (a signal cannot). That page is reported abandoned, and a new worker is
  given the pages that were waiting.
- A worker that ends by itself fails the page it was reading; after READER_RESTARTS such ends
  (or a worker that cannot start at all) the crawl reads the rest in its own process, logged
  at ERROR and counted (`cable/reader/in_process_fallback`).
- Ctrl-C and SIGTERM are the crawl's: the worker ignores them and ends when its stdin closes
  (the spider closes, or the crawl's process dies); on Linux the kernel also kills it when the
  crawl's process dies mid-page (PR_SET_PDEATHSIG).

Responses of other classes than HtmlResponse (Splash's) are read in the crawl's process: a
rendered crawl waits on the renderer, not on the reader.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import signal
import struct
import sys
import time
import traceback
from collections import deque
from dataclasses import dataclass, field

from scrapy import signals
from scrapy.http import HtmlResponse
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer, protocol, task

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written
from cable_crawler.crawl.parse_guard import ParseAbandoned, page_limit, parse_time_limit, too_slow
from cable_crawler.extraction.pages.article import read_page
from cable_crawler.extraction.pages.markup import PageCuts

logger = logging.getLogger(__name__)

READER_GRACE_SECONDS = 2.0   # beyond a page's own limit, which the worker applies itself
READER_RESTARTS = 3          # worker ends (crashes) before the crawl reads in its own process
READER_CLOSE_SECONDS = 5.0   # for the worker to end once its stdin is closed, then killed
WATCH_SECONDS = 0.25         # how often the watchdog looks at the page being read
PAGES_AHEAD = 4              # pages in a worker's pipe at once; the others wait here, not copied
_FRAME = struct.Struct(">Q")  # a frame: its length, then a pickle
PIPE_BYTES = 1024 * 1024     # each pipe's buffer (Linux's default, 64 KiB, holds one page and a half)
_READY = "ready"             # the worker's first frame, once its imports are done
EARLY_PAGE_BYTES = 512 * 1024  # until a worker is ready, pages up to this size are read here


@dataclass
class PageRead:
    """What reading one article page gave: the item and its layout, or why there is none."""

    item: object = None                       # an ArticleItem
    layout: str = ""
    canonical_ignored: tuple[str, str] | None = None  # (canonical link, why it was not used)
    cuts: dict[str, int] = field(default_factory=dict)  # what the page had beyond PAGE_LIMITS
    abandoned: str | None = None              # a ParseAbandoned's reason (too slow, shutting down)
    by_shutdown: bool = False                 # abandoned because the crawl was stopping
    error: str | None = None                  # "TypeError: ..." of a page the reader could not read
    trace: str | None = None                  # that error's traceback, for the log
    retry: bool = False                       # not the page's fault: worth reading in a later run


@dataclass
class PageJob:
    """One article page as sent to the worker (all of it that the reader uses)."""

    url: str
    status: int
    headers: list
    body: bytes
    encoding: str
    column: str
    base_url: str | None
    limit: float
    shutting_down: bool
    new_pages: list[str] = field(default_factory=list)  # crawl URLs the worker has not been sent

    @classmethod
    def of(cls, response, column: str, base_url: str | None, limit: float, shutting_down: bool) -> PageJob:
        return cls(response.url, response.status, list(response.headers.items()), response.body,
                   response.encoding, column, base_url, limit, shutting_down)

    def response(self) -> HtmlResponse:
        # The encoding given, not found again: the text decodes as the crawl's response did.
        return HtmlResponse(self.url, status=self.status, headers=self.headers, body=self.body,
                            encoding=self.encoding)


class CrawlPages(set):
    """The crawl's article URLs, also kept in the order they were added: a worker is sent
    the ones it has not seen, so that it reads each page with the URLs known when the page
    was handed over."""

    def __init__(self):
        super().__init__()
        self.added: list[str] = []

    def add(self, url: str) -> None:
        if url not in self:
            set.add(self, url)
            self.added.append(url)


def read_response(response, column: str, base_url: str | None, other_pages, limit: float,
                  shutting_down: bool) -> PageRead:
    """Read one article page within its time limit (crawl/parse_guard.py). Raises nothing: a page
    too slow to read gives why it was abandoned, a page that cannot be read its error."""
    cuts = PageCuts()
    try:
        # Nothing in this block yields to the reactor: the time limit covers the page alone.
        with parse_time_limit(limit, shutting_down=shutting_down):
            item, page = read_page(response, column, base_url, other_pages, cuts)
    except ParseAbandoned as abandoned:
        return PageRead(abandoned=str(abandoned), by_shutdown=abandoned.by_shutdown)
    except Exception as error:  # a page we cannot read must be reported, not lost
        return PageRead(error=f"{type(error).__name__}: {error}", trace=traceback.format_exc())
    return PageRead(item, page.layout, page.canonical_ignored, dict(cuts))


@dataclass
class _Waiting:
    job: PageJob
    known: int            # len(CrawlPages.added) when the page was handed over
    answer: defer.Deferred
    pages: CrawlPages


class PageReader:
    """The crawl's page reader (an extension): `read()` gives a PageRead, at once when the page
    is read here, or a Deferred of it when a worker reads it."""

    def __init__(self, crawler, processes: int):
        self.crawler = crawler
        self.processes = processes  # workers; 0: pages are read here
        self.workers: list[_WorkerProtocol] = []
        self.queued: deque[_Waiting] = deque()  # for the next worker with room (PAGES_AHEAD)
        self.crashes = 0
        self.closing = False
        self.watchdog = task.LoopingCall(self.watch)

    @classmethod
    def from_crawler(cls, crawler) -> PageReader:
        processes = crawler.settings.getint("CABLE_READER_PROCESSES", defaults.CABLE_READER_PROCESSES)
        if processes < 0:
            raise ValueError(f"CABLE_READER_PROCESSES must be 0 (read in the crawl's process) or more, not {processes}")
        reader = cls(crawler, processes)
        crawler.signals.connect(reader.spider_closed, signal=signals.spider_closed)
        return reader

    @classmethod
    def of(cls, crawler) -> PageReader:
        """This crawl's reader; one that reads here when the extension is not enabled."""
        try:
            reader = crawler.get_extension(cls)
        except RuntimeError:  # no extensions yet: a spider called without a crawl (tests, shell)
            reader = None
        return reader if reader is not None else cls(crawler, processes=0)

    # ------------------------------------------------------------------ reading

    def read(self, response, column: str, base_url: str | None, other_pages: CrawlPages, limit: float,
             shutting_down: bool) -> PageRead | defer.Deferred:
        if self.processes and not self.closing and type(response) is HtmlResponse:
            self.get_ready()
            # While the worker is still importing (~0.25 s), a page of ordinary size is read here,
            # not held until it is ready; a larger one waits for it, not to hold the reactor.
            if len(response.body) > EARLY_PAGE_BYTES or any(worker.ready for worker in self.workers):
                waiting = _Waiting(PageJob.of(response, column, base_url, limit, shutting_down),
                                   len(other_pages.added), defer.Deferred(), other_pages)
                self.queued.append(waiting)
                self.dispatch()
                return waiting.answer
            self.crawler.stats.inc_value("cable/reader/pages_read_before_worker_ready")
        return read_response(response, column, base_url, other_pages, limit, shutting_down)

    def dispatch(self) -> None:
        """Queued pages to the workers with room, the one with the fewest pages first. A worker
        holds at most PAGES_AHEAD: the rest wait here as the crawl's responses, not as copies
        in pipes and buffers (with all handed over, a 10,000-article crawl's process peaked
        ~25 MiB higher)."""
        while self.processes and self.queued and self.workers:  # none once read here (fall_back)
            worker = min(self.workers, key=lambda w: len(w.waiting))
            if len(worker.waiting) >= PAGES_AHEAD:
                return
            worker.hand(self.queued.popleft())

    def answered(self, worker: _WorkerProtocol, read) -> None:
        if isinstance(read, str) and read == _READY:
            worker.ready = True
            return
        if not worker.waiting:  # given up already: the crawl was closed before it answered
            return
        self.crawler.stats.inc_value("cable/reader/pages_in_worker")
        worker.answered().callback(read)
        self.dispatch()

    # ------------------------------------------------------------------ the workers' lives

    def start_worker(self, waiting=()) -> None:
        worker = _WorkerProtocol(self)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        command = [sys.executable, "-m", "cable_crawler.crawl.page_reader", str(os.getpid()),
                   ",".join(map(str, gc.get_threshold()))]
        from twisted.internet import reactor

        reactor.spawnProcess(worker, sys.executable, command, env=env, childFDs={0: "w", 1: "r", 2: 2})
        self.workers.append(worker)
        self.crawler.stats.inc_value("cable/reader/workers_started")
        for page in waiting:
            worker.hand(page)
        if not self.watchdog.running:
            self.watchdog.start(WATCH_SECONDS, now=False)

    def watch(self) -> None:
        """Kills a worker whose page is past its limit (see the module's docstring)."""
        stopping = not self.crawler.crawling
        for worker in self.workers:
            if not worker.waiting or worker.stopped_for:
                continue
            job = worker.waiting[0].job
            limit = page_limit(job.limit + READER_GRACE_SECONDS if job.limit > 0 else 0.0, stopping)
            if limit and time.monotonic() - worker.reading_since > limit:
                worker.stopped_for = (too_slow(limit, stopping), stopping)
                logger.error("page reader process stopped: %s read for longer than %g s", job.url, limit)
                worker.transport.signalProcess("KILL")

    def worker_ended(self, worker: _WorkerProtocol, reason) -> None:
        self.workers.remove(worker)
        if worker.stopped_for:
            why, by_shutdown = worker.stopped_for
            self.crawler.stats.inc_value("cable/reader/workers_stopped")
            worker.answered().callback(PageRead(abandoned=why, by_shutdown=by_shutdown))
        elif not worker.ready:
            self.fall_back(f"the page reader process could not start ({reason.value})")
        elif worker.waiting:
            self.crashes += 1
            self.crawler.stats.inc_value("cable/reader/workers_crashed")
            logger.error("page reader process ended while reading %s: %s", worker.waiting[0].job.url, reason.value)
            worker.answered().callback(PageRead(error=f"page reader process ended: {reason.value}", retry=True))
            if self.crashes >= READER_RESTARTS:
                self.fall_back(f"the page reader process ended {self.crashes} times")
        if worker.closed is not None:
            worker.closed.callback(None)
        if worker.waiting and self.processes and not self.closing:
            self.start_worker(worker.waiting)  # in its place, with the pages it had
            self.dispatch()
        else:
            self.read_here(worker.waiting)
            if not self.processes:
                self.read_here(self.queued)

    def fall_back(self, why: str) -> None:
        if self.processes:
            self.processes = 0
            self.crawler.stats.set_value("cable/reader/in_process_fallback", 1)
            logger.error("%s: article pages are read in the crawl's own process from now on", why)
            for worker in self.workers:  # the others read what they hold, then end
                worker.transport.closeStdin()  # (worker_ended reads what is queued)

    def read_here(self, waiting: deque[_Waiting]) -> None:
        while waiting:
            page = waiting.popleft()
            job = page.job
            other_pages = set(page.pages.added[:page.known])
            page.answer.callback(read_response(job.response(), job.column, job.base_url, other_pages, job.limit,
                                               job.shutting_down or not self.crawler.crawling))

    # ------------------------------------------------------------------ signals

    def get_ready(self) -> None:
        """Starts the workers, when an article page is on its way (the spider requests it): their
        imports (~0.25 s) run on the other core while it loads (pages that come before they end
        are read here, see `read`), and a crawl that reads no article (a re-crawl that finds
        nothing new) starts none. The engine runs by then, with
        GcThreshold's thresholds, which a worker takes."""
        while len(self.workers) < self.processes and not self.closing:
            self.start_worker()

    async def spider_closed(self, spider) -> None:
        self.closing = True
        if self.watchdog.running:
            self.watchdog.stop()
        from twisted.internet import reactor

        unread = PageRead(abandoned="crawl closed before the page was read", by_shutdown=True)
        while self.queued:  # none, but after a forced stop
            self.queued.popleft().answer.callback(unread)
        ending = []
        for worker in list(self.workers):
            while worker.waiting:
                worker.answered().callback(unread)
            worker.closed = defer.Deferred()
            worker.transport.closeStdin()  # a worker ends at the end of its input
            ending.append((worker, reactor.callLater(READER_CLOSE_SECONDS, self.kill_late, worker)))
        for worker, kill in ending:  # all told first: they end side by side
            await maybe_deferred_to_future(worker.closed)
            if kill.active():
                kill.cancel()

    def kill_late(self, worker: _WorkerProtocol) -> None:
        logger.warning("page reader process did not end %g s after the crawl: killed", READER_CLOSE_SECONDS)
        worker.transport.signalProcess("KILL")


class _WorkerProtocol(protocol.ProcessProtocol):
    """The crawl's end of one worker's pipes: pages out, frames in, its end reported."""

    def __init__(self, reader: PageReader):
        self.reader = reader
        self.buffer = bytearray()
        self.waiting: deque[_Waiting] = deque()  # handed to this worker, in order
        self.reading_since = 0.0                 # when it began the first of them
        self.pages_sent = 0         # how many of CrawlPages.added this worker holds
        self.ready = False
        self.stopped_for: tuple[str, bool] | None = None  # (why, by_shutdown) when the watchdog killed it
        self.closed: defer.Deferred | None = None

    def hand(self, waiting: _Waiting) -> None:
        if not self.waiting:
            self.reading_since = time.monotonic()
        self.waiting.append(waiting)
        job = waiting.job
        job.new_pages = waiting.pages.added[self.pages_sent:waiting.known]
        self.pages_sent = max(self.pages_sent, waiting.known)
        frame = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        job.new_pages = []
        self.transport.writeSequence([_FRAME.pack(len(frame)), frame])

    def answered(self) -> defer.Deferred:
        """The answer of the page it was reading; it begins the next."""
        self.reading_since = time.monotonic()
        return self.waiting.popleft().answer

    def outReceived(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= _FRAME.size:
            (size,) = _FRAME.unpack_from(self.buffer)
            if len(self.buffer) < _FRAME.size + size:
                return
            frame = bytes(self.buffer[_FRAME.size:_FRAME.size + size])
            del self.buffer[:_FRAME.size + size]
            self.reader.answered(self, pickle.loads(frame))

    def processEnded(self, reason) -> None:
        self.reader.worker_ended(self, reason)


# ---------------------------------------------------------------------- the worker


def _read_exactly(stream, size: int) -> bytes | None:
    data = stream.read(size)
    return data if len(data) == size else None  # None: the crawl closed our stdin (or died)


def _end_with(parent: int) -> None:
    """Linux: the kernel kills this worker when the crawl's process ends, even mid-page
    (PR_SET_PDEATHSIG). Elsewhere it ends at the end of its input, after the page it reads."""
    try:
        import ctypes

        if ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL) != 0:  # 1: PR_SET_PDEATHSIG
            return
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(0)  # the crawl's process ended before we asked


def worker_main(argv: list[str]) -> None:
    """The worker: `python -m cable_crawler.crawl.page_reader CRAWL_PID GC_THRESHOLDS`."""
    _end_with(int(argv[0]))
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)  # the crawl's process decides when we stop
    gc.set_threshold(*(int(n) for n in argv[1].split(",")))  # the crawl's (crawl/gc_threshold.py)
    import fcntl  # POSIX, as spawnProcess's pipes

    for fd in (0, 1):
        try:  # room for ~25 pages each way: neither side waits on the other's turn to read
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except (AttributeError, OSError):  # not Linux, or over /proc/sys/fs/pipe-max-size
            pass
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print goes to stderr, not into the frames

    def answer(value) -> None:
        frame = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        answers.write(_FRAME.pack(len(frame)) + frame)
        answers.flush()

    answer(_READY)
    pages: set[str] = set()
    requests = sys.stdin.buffer
    while (header := _read_exactly(requests, _FRAME.size)) is not None:
        frame = _read_exactly(requests, _FRAME.unpack(header)[0])
        if frame is None:
            return
        job: PageJob = pickle.loads(frame)
        pages.update(job.new_pages)
        answer(read_response(job.response(), job.column, job.base_url, pages, job.limit, job.shutting_down))


if __name__ == "__main__":
    # Run as `python -m`, this file is __main__: the frames must name the module's own classes.
    from cable_crawler.crawl.page_reader import worker_main as main

    main(sys.argv[1:])
    # The crawl closed our input: every answer is written and flushed, nothing else is held.
    # The interpreter's teardown of the reader's heap (which the crawl's close waits for) is skipped.
    sys.stderr.flush()
    os._exit(0)
