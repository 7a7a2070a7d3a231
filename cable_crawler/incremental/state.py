"""Persistent crawl state: what earlier runs wrote, in SQLite.

One row per article id: canonical URL, modified_at, content fingerprint,
revision, and the signature of its column index entry (headline, dek, date as
listed). Incremental runs use it to skip known, unchanged articles without
requesting them and to number revisions of changed ones.

The state only ever records what a published output file holds: once the
writer has renamed the file to its final name, IncrementalCrawl.publish calls
record_crawl() with its lines, in one transaction. A crash before that leaves the state as it was,
so nothing unwritten is ever marked as seen.

Two more tables remember what a crawl could not finish, for the next runs:
`failures`, article URLs whose last request failed for a reason that may pass
(5xx, timeout, connection error) or was never reached by a crawl that closed
early, with how many runs it failed in; and
`walks`, index pages where a walk of the column archive stopped before its end
(max_pages, the index page cap, a failed index page, a crawl that ended early).
They are written when the crawl closes, after its output file is published,
in the same transaction as its lines (record_crawl); a written article clears
its failure row there.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written
from cable_crawler.incremental import locks

# Rows of the failures table written before the channel argument existed belong to this one.
LEGACY_CHANNEL = "the-cable"

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    modified_at TEXT,
    revision INTEGER NOT NULL,
    listing_signature TEXT,
    first_written_at TEXT NOT NULL,
    last_written_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_url ON articles (url);
-- Every URL an article was reached under (listing links, legacy URLs before
-- their redirect): lets the index walk recognise an entry without a request.
CREATE TABLE IF NOT EXISTS urls (
    url TEXT PRIMARY KEY,
    id TEXT NOT NULL
);
-- Article URLs to request again on the next runs, until written or given up.
CREATE TABLE IF NOT EXISTS failures (
    url TEXT PRIMARY KEY,
    runs INTEGER NOT NULL,            -- runs in which its request failed
    status INTEGER,
    reason TEXT NOT NULL,
    listing_url TEXT,
    listing_signature TEXT,
    first_failed_at TEXT NOT NULL,
    last_failed_at TEXT NOT NULL,
    given_up_at TEXT,                 -- set after CABLE_FAILED_MAX_ATTEMPTS runs: not requested again
    channel TEXT                      -- the channel whose crawl failed it (NULL: before channels, the-cable)
);
-- Article pages rejected for good (404/410, a refused redirect, a parse error, an invalid item):
-- the completeness pass does not ask for them again, unless the API shows an edit made after.
CREATE TABLE IF NOT EXISTS rejected (
    url TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    rejected_at TEXT NOT NULL
);
-- Where an unfinished walk of the column archive continues on the next run.
CREATE TABLE IF NOT EXISTS walks (
    url TEXT PRIMARY KEY,             -- the first index page not visited
    page INTEGER NOT NULL,            -- its page number when recorded (for the log)
    reason TEXT NOT NULL,             -- why the walk stopped there
    failures INTEGER NOT NULL DEFAULT 0,  -- runs in which this very page failed
    recorded_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Failed:
    url: str
    runs: int
    status: int | None
    reason: str
    listing_url: str | None
    listing_signature: str | None
    given_up: bool = False


@dataclass(frozen=True)
class Rejected:
    url: str
    reason: str
    rejected_at: str  # ISO 8601 UTC, as the API's modified_gmt


@dataclass(frozen=True)
class Walk:
    url: str
    page: int
    reason: str
    failures: int


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Known:
    id: str
    url: str
    fingerprint: str
    modified_at: str | None
    revision: int
    listing_signature: str | None


# What the articles table keeps of an output line (with its listing_urls, listing_signature).
RECORDED_FIELDS = ("id", "url", "fingerprint", "modified_at", "revision")


# The article written under a URL, or reached under it (urls): of both, the one stored first
# (lowest rowid). Two lookups by index: one query with "a.url = ? OR u.url = ?" over the
# join read every stored article (SQLite cannot use an index for an OR across two tables),
# 9 ms for each new article of a 10,000-article state, and each is looked up three times.
_BY_URL = (
    "SELECT * FROM ("
    " SELECT rowid AS stored, id, url, fingerprint, modified_at, revision, listing_signature"
    " FROM articles WHERE url = ?"
    " UNION ALL"
    " SELECT a.rowid, a.id, a.url, a.fingerprint, a.modified_at, a.revision, a.listing_signature"
    " FROM urls u JOIN articles a ON a.id = u.id WHERE u.url = ?"
    ") ORDER BY stored LIMIT 1"
)


class CrawlState:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN ... COMMIT).
        self.db = sqlite3.connect(str(self.path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(f"BEGIN;\n{SCHEMA}\nCOMMIT;")  # one transaction: a small WAL
        # A state written before channels existed: its failures were all The Cable's.
        if "channel" not in {row[1] for row in self.db.execute("PRAGMA table_info(failures)")}:
            self.db.execute("ALTER TABLE failures ADD COLUMN channel TEXT")

    def close(self) -> None:
        self.db.close()

    def get(self, article_id: str | None = None, url: str | None = None) -> Known | None:
        """The stored article with this id, or reached under this URL."""
        row = None
        if article_id:
            row = self.db.execute("SELECT id, url, fingerprint, modified_at, revision, listing_signature "
                                  "FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None and url:
            row = self.db.execute(_BY_URL, (url, url)).fetchone()
            row = row[1:] if row else None  # without its rowid
        return Known(*row) if row else None

    def record(self, records: list[dict]) -> None:
        """Store the articles of a published output file, all or nothing.
        Each record is an output line plus optional 'listing_urls' and
        'listing_signature' (what the index showed for it)."""
        with self.db:  # one transaction
            self.db.execute("BEGIN")
            self._record_articles(records, _now())

    def _record_articles(self, records: list[dict], now: str) -> None:
        for record in records:
            self.db.execute(
                "INSERT INTO articles (id, url, fingerprint, modified_at, revision, listing_signature,"
                " first_written_at, last_written_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET url = excluded.url, fingerprint = excluded.fingerprint,"
                " modified_at = excluded.modified_at, revision = excluded.revision,"
                " listing_signature = COALESCE(excluded.listing_signature, articles.listing_signature),"
                " last_written_at = excluded.last_written_at",
                (record["id"], record["url"], record["fingerprint"], record.get("modified_at"),
                 record.get("revision") or 1, record.get("listing_signature"), now, now))
            for url in {record["url"], *(record.get("listing_urls") or [])}:
                self.db.execute("INSERT OR REPLACE INTO urls (url, id) VALUES (?, ?)", (url, record["id"]))
                self.db.execute("DELETE FROM failures WHERE url = ?", (url,))  # written: resolved
                self.db.execute("DELETE FROM rejected WHERE url = ?", (url,))

    def unresolved(self, limit: int, channel: str = LEGACY_CHANNEL) -> list[Failed]:
        """Failed article URLs of a channel's crawls to request again (not given up), fewest
        failed runs first. A channel retries only its own: its crawl writes its `column`."""
        rows = self.db.execute(
            "SELECT url, runs, status, reason, listing_url, listing_signature FROM failures"
            " WHERE given_up_at IS NULL AND COALESCE(channel, ?) = ?"
            " ORDER BY runs, first_failed_at, url LIMIT ?", (LEGACY_CHANNEL, channel, limit)).fetchall()
        return [Failed(*row) for row in rows]

    def failure(self, url: str) -> Failed | None:
        row = self.db.execute("SELECT url, runs, status, reason, listing_url, listing_signature,"
                              " given_up_at IS NOT NULL FROM failures WHERE url = ?", (url,)).fetchone()
        return Failed(*row[:-1], given_up=bool(row[-1])) if row else None

    def rejection(self, url: str) -> Rejected | None:
        row = self.db.execute("SELECT url, reason, rejected_at FROM rejected WHERE url = ?", (url,)).fetchone()
        return Rejected(*row) if row else None

    def walks(self) -> list[Walk]:
        """Unfinished archive walks, shallowest first."""
        rows = self.db.execute("SELECT url, page, reason, failures FROM walks ORDER BY page, url").fetchall()
        return [Walk(*row) for row in rows]

    def record_unfinished(self, failed: list[dict], resolved: list[str], walks_done: list[str],
                          walks_open: list[dict], rejected: list[dict] = ()) -> None:
        """What a closed crawl could not finish, in one transaction:
        failed: {url, runs, status, reason, listing_url, listing_signature, given_up} (runs counts this one);
        resolved: failure rows to drop (answered, or failed for good and reported);
        walks_done: resume points this crawl walked on from; walks_open: {url, page, reason, failures};
        rejected: {url, reason}, article pages rejected for good by this crawl."""
        with self.db:
            self.db.execute("BEGIN")
            self._record_unfinished(failed, resolved, walks_done, walks_open, _now(), rejected)

    def record_crawl(self, records: list[dict], unfinished: dict, unchanged: list[dict] | None = None) -> None:
        """What a crawl that published its output leaves for the next runs, all in one transaction:
        the published file's lines (as record()), what it could not finish (unfinished: the
        keyword arguments of record_unfinished()), and the articles it read unchanged (their
        index entries). A failure stores none of it."""
        now = _now()
        with self.db:
            self.db.execute("BEGIN")
            self._record_articles(records, now)
            self._record_unfinished(now=now, **unfinished)
            self._record_articles(unchanged or [], now)

    def _record_unfinished(self, failed: list[dict], resolved: list[str], walks_done: list[str],
                           walks_open: list[dict], now: str, rejected: list[dict] = ()) -> None:
        self.db.executemany("DELETE FROM failures WHERE url = ?", [(url,) for url in resolved])
        self.db.executemany("INSERT OR REPLACE INTO rejected (url, reason, rejected_at) VALUES (?, ?, ?)",
                            [(r["url"], r["reason"], now) for r in rejected])
        for f in failed:
            self.db.execute(
                "INSERT INTO failures (url, runs, status, reason, listing_url, listing_signature,"
                " first_failed_at, last_failed_at, given_up_at, channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(url) DO UPDATE SET runs = excluded.runs, status = excluded.status,"
                " reason = excluded.reason, last_failed_at = excluded.last_failed_at,"
                " listing_url = COALESCE(excluded.listing_url, failures.listing_url),"
                " listing_signature = COALESCE(excluded.listing_signature, failures.listing_signature),"
                " given_up_at = COALESCE(failures.given_up_at, excluded.given_up_at),"
                " channel = COALESCE(excluded.channel, failures.channel)",
                (f["url"], f["runs"], f.get("status"), f["reason"], f.get("listing_url"),
                 f.get("listing_signature"), now, now, now if f.get("given_up") else None, f.get("channel")))
        self.db.executemany("DELETE FROM walks WHERE url = ?", [(url,) for url in walks_done])
        for w in walks_open:
            self.db.execute("INSERT OR REPLACE INTO walks (url, page, reason, failures, recorded_at)"
                            " VALUES (?, ?, ?, ?, ?)", (w["url"], w["page"], w["reason"], w["failures"], now))

def state_dir(settings) -> str:
    return str(settings.get("CABLE_STATE_DIR") or defaults.CABLE_STATE_DIR)


def state_path(settings) -> Path:
    return Path(state_dir(settings)) / "cable-state.sqlite3"


class StateError(RuntimeError):
    """A crawl state database that cannot be used (corrupt, not SQLite)."""


# (working directory, CABLE_STATE_DIR) of the states this process holds: the pipelines take
# the lock again with every item, and building the lock file's path cost ~30 us each time.
_locked: set[tuple[str, str]] = set()


def lock(settings) -> None:
    """Holds the crawl state for this process (locks.AlreadyLocked if another crawl does):
    two crawls recording into one state would each take the other's articles as written.
    Our `scrapy crawl` takes it before the crawl; the pipelines take it again with every
    item (a crawl run without our command), not when built: `scrapy parse` only reads."""
    key = (os.getcwd(), state_dir(settings))
    if key in _locked:  # held until the process exits (locks.py)
        return
    path = state_path(settings)
    locks.hold(path.with_name(path.name + ".lock"), f"CABLE_STATE_DIR={str(path.parent)!r}")
    _locked.add(key)


def check(settings) -> None:
    """Opens the state database and checks it (StateError), so that a damaged one
    stops the crawl before any request rather than midway or at the end."""
    path = state_path(settings)
    try:
        crawl_state = CrawlState(path)
        try:
            result = crawl_state.db.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            crawl_state.close()
    except sqlite3.Error as error:
        result = str(error)
    if result != "ok":
        raise StateError(f"CABLE_STATE_DIR={str(path.parent)!r}: {path} is not a usable crawl state database "
                         f"({result}); restore it from a backup, or move it aside to start a new state "
                         f"(the next crawl then writes every article again)")

