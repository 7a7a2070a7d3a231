"""What this crawl has written so far (held by the IncrementalCrawl component).

A resumed crawl (JOBDIR) continues the `.part` output file of the run it
resumes; the ledger is filled from that file first, so articles already
written are neither requested nor written again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from cable_crawler.incremental.jsonlines import read_lines


@dataclass
class Ledger:
    ids: set[str] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)
    fingerprints: set[str] = field(default_factory=set)

    def add(self, record: dict) -> None:
        self.ids.add(record["id"])
        self.urls.add(record["url"])
        self.fingerprints.add(record["fingerprint"])

    def has(self, article_id: str | None = None, url: str | None = None) -> bool:
        return (article_id is not None and article_id in self.ids) or (url is not None and url in self.urls)

    def load(self, path: Path) -> int:
        """Adds the whole lines of an output file; returns how many."""
        count = 0
        if path.exists():
            for line in read_lines(path):
                try:
                    self.add(json.loads(line))
                except (ValueError, KeyError):
                    continue  # a torn last line: cut when the file is reopened
                count += 1
        return count
