"""Pause/resume and crash recovery on top of Scrapy's JOBDIR.

Scrapy's JOBDIR keeps the request queue and the seen-request fingerprints, so
a crawl stopped gracefully (Ctrl-C, SIGTERM) resumes where it stopped. Two
things it does not cover, added here:

- The output file. The names of this crawl's `.part` files are kept in
  JOBDIR/cable-output.json; a resumed crawl appends to them instead of
  starting new files, and skips the articles they already hold.
- A hard kill (SIGKILL, power loss). Scrapy marks a request as seen when it
  is scheduled, not when it is done, and writes its queue state on close: after
  a kill both are stale, and trusting them would lose the requests that were in
  flight. A marker file tells a killed run from a paused one; after a kill the
  stale queue and seen-set are discarded and the crawl walks the column index
  again, skipping what the output file already holds.
- Two runs on one JOBDIR. A crawl holds an OS lock on JOBDIR/cable.lock for its
  whole life (locks.py), and reads the marker only once it holds the lock: a
  marker left behind means that run is gone (killed), and a run still alive
  keeps the lock, so a second crawl is refused instead of taking it for killed.

After a crawl that finished, the JOBDIR is emptied so that the next scheduled
run with the same JOBDIR starts afresh.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from cable_crawler.incremental import locks
logger = logging.getLogger(__name__)

RUNNING_MARKER = "cable-running"
LOCK_FILE = "cable.lock"
OUTPUT_PATHS = "cable-output.json"
SCRAPY_JOB_FILES = ("requests.seen", "requests.queue", "spider.state")


class Resume:
    def __init__(self, jobdir: str | None):
        self.jobdir = Path(jobdir) if jobdir else None
        self.paths: dict[str, str] = {}
        self.resumed = False
        self.killed = False
        if self.jobdir is not None:
            lock(self.jobdir)  # before the marker is read: a live run's marker must not look like a killed run's
            paths_file = self.jobdir / OUTPUT_PATHS
            if paths_file.exists():
                self.paths = json.loads(paths_file.read_text("utf-8"))
                self.resumed = True
            self.killed = (self.jobdir / RUNNING_MARKER).exists()

    def start(self, crawler) -> None:
        """Under JOBDIR, when the crawl is built (by IncrementalCrawl, an extension: extensions are
        built before the scheduler opens JOBDIR): after a kill, discards the stale queue and seen-set;
        marks the crawl as running."""
        jobdir = self.jobdir
        if self.killed:
            logger.warning("the crawl in JOBDIR %s was killed: discarding its request queue and seen-set "
                           "(stale after a kill) and walking the column index again", jobdir)
            _remove(jobdir, ("requests.seen", "requests.queue"))
        if self.resumed:
            logger.info("resuming the crawl in JOBDIR %s", jobdir)
            if not self.killed:
                # Paused cleanly: Scrapy's queue continues where it stopped, the index may not be read again.
                crawler.stats.set_value("cable/resumed_from_jobdir", 1)
        jobdir.mkdir(parents=True, exist_ok=True)
        (jobdir / RUNNING_MARKER).touch()

    def stop(self, crawler) -> None:
        """At engine_stopped: a finished crawl empties its JOBDIR; the running marker goes."""
        if crawler.stats.get_value("finish_reason") == "finished":
            _remove(self.jobdir, (*SCRAPY_JOB_FILES, OUTPUT_PATHS))
        (self.jobdir / RUNNING_MARKER).unlink(missing_ok=True)

    def remember(self, key: str, value) -> None:
        """Keeps an output path (or the crawl's time stamp) so that a resumed crawl continues that file."""
        self.paths[key] = str(value)
        if self.jobdir is not None:
            self.jobdir.mkdir(parents=True, exist_ok=True)
            (self.jobdir / OUTPUT_PATHS).write_text(json.dumps(self.paths), "utf-8")


def lock(jobdir) -> None:
    """Holds JOBDIR for this process (locks.AlreadyLocked while another crawl runs in it)."""
    locks.hold(Path(jobdir) / LOCK_FILE, f"JOBDIR={str(jobdir)!r}")


def _remove(jobdir: Path, names) -> None:
    for name in names:
        path = jobdir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
