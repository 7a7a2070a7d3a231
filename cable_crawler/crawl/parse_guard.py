"""A time limit for reading one page, and a prompt end to it on SIGTERM.

Scrapy runs spider callbacks on the reactor thread, which is the main thread. A page
that takes minutes to read blocks everything else: downloads, the log, and Scrapy's own
SIGTERM handling, which only *schedules* a graceful stop on that reactor.

Why a signal and not a worker thread (deferToThread): Python cannot stop a thread, so a
runaway parse would go on burning CPU, and Scrapy's graceful stop and the reactor's
shutdown wait for it all the same (the reactor joins its thread pool): SIGTERM would still
not end the crawl. In the main thread, SIGALRM (setitimer) makes Python raise into the
running parse at its next bytecode, which stops it and frees what it built. The limit:
the parser's C calls (parsing, one CSS query) only notice the signal when they return, which
is why the page readers bound their loops (markup.PAGE_LIMITS); each single C call on a page of at most
DOWNLOAD_MAXSIZE bytes is short.

Article pages are read by default in a worker process (crawl/page_reader.py): this guard
runs there in the worker's main thread as it does here, and the crawl's process keeps a
watchdog that kills a worker whose page overruns its limit (one long C call included) or
is still read once the crawl stops. Index pages are read here.

A shutdown signal (SIGTERM, SIGINT) during a parse is handed to the handler that was
installed before (Scrapy's: it schedules the graceful stop), and the parse goes on within
SHUTDOWN_PARSE_SECONDS, as every page read while the crawl shuts down: a normal page takes
a few milliseconds of it, a runaway one is abandoned when it runs out ("parse interrupted
by SIGTERM"). A second signal abandons it at once. (Abandoning the page at the first signal
rejected a page that was nearly read; in a distributed crawl its request counted as
answered, so no other worker read it.) While the crawl shuts down, the pages already
downloaded are still read (that is what a graceful stop is for), each within
SHUTDOWN_PARSE_SECONDS.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SHUTDOWN_SIGNALS = (signal.SIGTERM, signal.SIGINT)
SHUTDOWN_PARSE_SECONDS = 1.0
_shutdown_seen: list[int] = []  # the shutdown signals received during a parse, in this process


class ParseAbandoned(BaseException):
    """Raised into a parse that ran out of time or was interrupted by a shutdown signal.
    A BaseException, so that no `except Exception` in the page code can swallow it.
    `by_shutdown`: the page was left unread because the crawl was stopping, not because
    it reads too slowly (so a later run may read it)."""

    def __init__(self, reason: str, by_shutdown: bool = False):
        super().__init__(reason)
        self.by_shutdown = by_shutdown


def can_limit() -> bool:
    """Signals can interrupt only the main thread, and setitimer is POSIX-only."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def page_limit(seconds: float, stopping: bool) -> float:
    """A page's time limit in seconds (0: none): SHUTDOWN_PARSE_SECONDS at most once the crawl
    is stopping. Also the worker watchdog's (crawl/page_reader.py)."""
    if stopping:
        return min(seconds, SHUTDOWN_PARSE_SECONDS) if seconds > 0 else SHUTDOWN_PARSE_SECONDS
    return seconds


def too_slow(seconds: float, stopping: bool) -> str:
    """The reason a page over its limit is abandoned, as the rejects file says it."""
    return f"parse took longer than {seconds:g} s" + (" (crawl shutting down)" if stopping else "")


@contextmanager
def parse_time_limit(seconds: float, shutting_down: bool = False) -> Iterator[None]:
    """Raise ParseAbandoned in the block after `seconds` (0: no limit); after
    SHUTDOWN_PARSE_SECONDS once the crawl is `shutting_down` (or a signal was seen), or once
    a SIGTERM/SIGINT arrives during the block (at once on a second one).
    The block must not yield to the reactor (no `yield` of a generator callback inside)."""
    stopping = bool(shutting_down or _shutdown_seen)
    seconds = page_limit(seconds, stopping)
    if not can_limit():
        yield
        return
    armed = [True]  # raise at most once: a late alarm must never hit the code after the block
    why: list[tuple[str, bool]] = []  # (reason, by_shutdown)
    interrupted: list[str] = []  # the shutdown signals received during this parse, by name

    def abandon(reason: str, by_shutdown: bool) -> None:
        if armed[0]:
            armed[0] = False
            why.append((reason, by_shutdown))
            raise ParseAbandoned(reason, by_shutdown)

    def on_alarm(signum, frame):
        if interrupted:
            abandon(f"parse interrupted by {interrupted[0]}", True)
        abandon(too_slow(seconds, stopping), stopping)

    previous: dict[int, object] = {}

    def on_shutdown(signum, frame):
        handler = previous.get(signum)
        if handler == signal.SIG_IGN:
            return
        _shutdown_seen.append(signum)
        interrupted.append(signal.Signals(signum).name)
        if callable(handler):
            handler(signum, frame)  # Scrapy's: schedules the graceful (or, second time, forced) stop
        elif handler == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)  # what would have happened without us
        if len(interrupted) > 1:
            abandon(f"parse interrupted by {interrupted[0]}", True)  # asked twice: stop now
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
        if armed[0] and not 0 < remaining <= SHUTDOWN_PARSE_SECONDS:
            signal.setitimer(signal.ITIMER_REAL, SHUTDOWN_PARSE_SECONDS)  # the rest of the page, bounded

    previous_alarm = signal.signal(signal.SIGALRM, on_alarm)
    for signum in SHUTDOWN_SIGNALS:
        previous[signum] = signal.signal(signum, on_shutdown)
    if seconds > 0:
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except ParseAbandoned:
        # Raised inside a codec, it comes back re-worded ("encoding with 'cp1252' codec failed
        # (ParseAbandoned: ...)"): give the caller the reason as it was raised.
        raise ParseAbandoned(*(why[0] if why else ("parse abandoned", False))) from None
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        if previous_alarm is not None:
            signal.signal(signal.SIGALRM, previous_alarm)
        for signum, handler in previous.items():
            # Scrapy's handler replaces itself (graceful stop, then kill): keep its choice.
            if signal.getsignal(signum) is on_shutdown and handler is not None:
                signal.signal(signum, handler)
