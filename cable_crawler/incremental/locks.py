"""Process-lifetime locks on the crawl state and JOBDIR, so that two crawls never share them.

An OS lock (flock) on a lock file, not a marker file: the kernel releases it
when the process ends, however it ends (SIGKILL, power loss included), so a
lock that can be taken means no live process holds it. A lock is held until the
process exits; taking it again in the same process is a no-op (our `scrapy
crawl` takes the locks before the crawl, the crawl's components take them again).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class AlreadyLocked(RuntimeError):
    """Another live process holds the lock."""


_held: dict[str, object] = {}  # real path of the lock file -> its open file, kept open until exit


def hold(lock_file: str | os.PathLike, what: str) -> None:
    """Takes the exclusive lock on `lock_file` for the rest of the process, or raises
    AlreadyLocked naming `what` and the process that holds it."""
    path = Path(lock_file)
    key = os.path.realpath(path)
    if key in _held:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise AlreadyLocked(f"{what} is in use by another crawl (pid {holder}, lock {path})") from None
    except BaseException:
        handle.close()
        raise
    handle.truncate(0)  # append mode: the pid is the file's only content
    handle.write(str(os.getpid()))
    handle.flush()
    _held[key] = handle
