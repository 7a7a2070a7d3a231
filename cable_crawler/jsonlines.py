"""Crash-safe JSON Lines files: complete lines only, final name only when closed.

Lines go to `<name>.part` and are flushed one by one, so a killed process
leaves whole lines behind (at worst a torn last line, cut off when the file is
reopened). close() fsyncs and renames to the final name, so a file under the
final name is always complete.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path


def utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")


def dumps_line(record: dict) -> bytes:
    # ensure_ascii=False: consumers get UTF-8 text, not \\u escapes.
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


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


class AtomicJsonLinesFile:
    def __init__(self, final_path: str | os.PathLike):
        self.final_path = Path(final_path)
        self.part_path = self.final_path.with_name(self.final_path.name + ".part")
        self.lines = 0
        self._handle = None

    def open(self) -> "AtomicJsonLinesFile":
        self.final_path.parent.mkdir(parents=True, exist_ok=True)
        drop_torn_tail(self.part_path)  # resuming after a crash: keep whole lines only
        self._handle = self.part_path.open("ab")
        return self

    def write(self, record: dict) -> None:
        if self._handle is None:
            self.open()
        self._handle.write(dumps_line(record))
        self._handle.flush()
        self.lines += 1

    def close(self, publish: bool = True) -> Path | None:
        """Flush to disk; with publish, rename to the final name and return it."""
        if self._handle is None:
            return None
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._handle = None
        if not publish:
            return None
        os.replace(self.part_path, self.final_path)
        return self.final_path
