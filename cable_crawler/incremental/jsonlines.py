"""Crash-safe JSON Lines files: complete lines only, final name only when closed.

Lines go to `<name>.part` and are flushed one by one, so a killed process
leaves whole lines behind (at worst a torn last line, cut off when the file is
reopened). close() fsyncs and renames to the final name, so a file under the
final name is always complete.

Nothing is ever overwritten: a new file claims its `.part` name exclusively
(O_EXCL), and publishing links the `.part` to the final name (link() fails
rather than replace an existing file). When a name is taken, by an earlier run
or by another crawl started in the same second, the next free one is used:
`name_002.jsonl`, `name_003.jsonl`, ... ('_' sorts after '.', and the number is
zero-padded, so the names of one second's files sort in the order they were claimed).
"""

from __future__ import annotations

import errno
import json
import os
from datetime import datetime, timezone
from pathlib import Path


STAMP_FORMAT = "%Y-%m-%dT%H-%M-%SZ"


def utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime(STAMP_FORMAT)


def dumps_line(record: dict) -> bytes:
    # ensure_ascii=False: consumers get UTF-8 text, not \\u escapes.
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def read_lines(path: Path):
    """The lines of a JSON Lines file as they were written (bytes, newline included), one at a
    time: the whole file is never in memory (a 10,000-article file is about 150 MB). Split on
    "\n" only, as written: str.splitlines() would also split inside a line at a U+2028 or
    U+0085 in the text, which json.dumps(ensure_ascii=False) leaves as it is."""
    with Path(path).open("rb") as handle:
        yield from handle


def read_records(path: Path):
    """The objects of a JSON Lines file written by this module, one at a time (read_lines)."""
    for line in read_lines(path):
        yield json.loads(line)


def drop_torn_tail(path: Path) -> int:
    """Cut a last line that has no newline (a write interrupted by a crash).
    Returns the number of bytes removed."""
    if not path.exists():
        return 0
    with path.open("rb+") as handle:
        data = handle.read()
        keep = data.rfind(b"\n") + 1
        if keep == len(data):
            return 0
        handle.truncate(keep)
        return len(data) - keep


MAX_NAME_TRIES = 999


def free_names(path: Path):
    """path, then path_002, path_003, ... (the suffix goes before the extension; sorted
    names keep their order: 'x.jsonl' < 'x_002.jsonl' < 'x_010.jsonl')."""
    yield path
    for number in range(2, MAX_NAME_TRIES + 1):
        yield path.with_name(f"{path.stem}_{number:03d}{path.suffix}")


def part_of(path: Path) -> Path:
    return path.with_name(path.name + ".part")


class AtomicJsonLinesFile:
    def __init__(self, final_path: str | os.PathLike):
        self.final_path = Path(final_path)
        self.part_path = part_of(self.final_path)
        self.lines = 0
        self._handle = None

    def open(self) -> "AtomicJsonLinesFile":
        """Continues the .part file (a resumed crawl), or starts it."""
        self.final_path.parent.mkdir(parents=True, exist_ok=True)
        drop_torn_tail(self.part_path)  # resuming after a crash: keep whole lines only
        self._handle = self.part_path.open("ab")
        return self

    def claim(self) -> "AtomicJsonLinesFile":
        """Starts a new file under the first name whose .part and final file both do
        not exist; the .part is created exclusively, so no two writers ever share it."""
        self.final_path.parent.mkdir(parents=True, exist_ok=True)
        for candidate in free_names(self.final_path):
            if candidate.exists():
                continue
            try:
                descriptor = os.open(part_of(candidate), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
            except FileExistsError:
                continue
            self.final_path, self.part_path = candidate, part_of(candidate)
            self._handle = os.fdopen(descriptor, "ab")
            return self
        raise FileExistsError(errno.EEXIST, f"no free name after {MAX_NAME_TRIES} tries", str(self.final_path))

    def write(self, record: dict) -> None:
        if self._handle is None:
            self.open()
        self._handle.write(dumps_line(record))
        self._handle.flush()
        self.lines += 1

    def close(self, publish: bool = True) -> Path | None:
        """Flush to disk; with publish, give the file its final name (the first free
        one, see claim()) and return it. Raises OSError when the file could not be
        written or published; the .part file is then left as it is."""
        if self._handle is None:
            return None
        handle, self._handle = self._handle, None
        try:
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            handle.close()  # closes the descriptor even when the flush failed
        if not publish:
            return None
        self.final_path = self._publish()
        return self.final_path

    def _publish(self) -> Path:
        for candidate in free_names(self.final_path):
            try:
                os.link(self.part_path, candidate)  # unlike rename(), never replaces an existing file
            except FileExistsError:
                continue
            except OSError as error:
                if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS):
                    raise
                # A file system without hard links: rename, after checking that the name is free.
                if candidate.exists():
                    continue
                os.rename(self.part_path, candidate)
            else:
                os.unlink(self.part_path)
            _fsync_directory(candidate.parent)
            return candidate
        raise FileExistsError(errno.EEXIST, f"no free name after {MAX_NAME_TRIES} tries", str(self.final_path))


def _fsync_directory(directory: Path) -> None:
    """Makes the new name durable (a crash right after close() keeps the published file)."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
