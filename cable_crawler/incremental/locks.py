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
# The absolute names the held locks were asked under: the pipelines take the state's lock again
# with every item (state.lock), which must cost next to nothing once it is held
# (os.path.realpath makes a system call per path component).
_held_as: set[str] = set()


def hold(lock_file: str | os.PathLike, what: str) -> None:
    """Takes the exclusive lock on `lock_file` for the rest of the process, or raises
    AlreadyLocked naming `what` and the process that holds it."""
    name = os.path.abspath(lock_file)
    if name in _held_as:  # taken already under this name: no more file system calls
        return
    path = Path(lock_file)
    key = os.path.realpath(path)
    if key in _held:
        _held_as.add(name)
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
    _held_as.add(name)
