"""Memory flat with the size of a crawl (issue 12): what a crawl keeps per article is small and
bounded; what it reads at the end (the published file) is read one line at a time."""

from __future__ import annotations

import json
import os
import sqlite3
import tracemalloc

import pytest

from test_pipelines import article

from cable_crawler.incremental.component import IncrementalCrawl
from cable_crawler.incremental.jsonlines import AtomicJsonLinesFile
from cable_crawler.incremental.ledger import Ledger
from cable_crawler.extraction.validation import record

BASE = "https://foreignpolicy.com"


def big_article(n: int, text: str = "x" * 100_000) -> dict:
    return record(article(id=f"fp-{n}", url=f"{BASE}/2021/06/02/copy-{n}/", body=[f"Copy {n}.", text]))


def test_publish_reads_the_published_file_one_line_at_a_time(crawler, tmp_path):
    """Publishing a 10 MB file held it whole in memory, twice (its text and every line parsed):
    a 10,000-article crawl peaked at 2.6x the RSS of a 1,000-article one. Now a line at a time."""
    published = tmp_path / "published.jsonl"
    with published.open("w", encoding="utf-8") as out:
        for n in range(100):
            out.write(json.dumps(big_article(n), ensure_ascii=False) + "\n")
    size = published.stat().st_size
    assert size > 10_000_000
    component = IncrementalCrawl.of(crawler)
    tracemalloc.start()
    try:
        component.publish(published, "finished")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < size / 10, f"{peak:,} bytes at the peak for a {size:,}-byte file"
    db = sqlite3.connect(tmp_path / "state" / "cable-state.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone() == (100,)


def test_a_line_whose_text_holds_a_unicode_line_separator_is_recorded_and_resumed(crawler, tmp_path):
    """json.dumps(ensure_ascii=False) leaves U+2028 and U+0085 as they are; str.splitlines() split the
    line there, so publishing failed (the state learnt nothing) and a resumed crawl lost the line."""
    line = big_article(1, text="One\u2028two\x85three.")
    output = AtomicJsonLinesFile(tmp_path / "out.jsonl").open()
    output.write(line)
    published = output.close()
    assert "\u2028".encode() in published.read_bytes()
    ledger = Ledger()
    assert ledger.load(published) == 1 and ledger.has(line["id"])
    IncrementalCrawl.of(crawler).publish(published, "finished")
    db = sqlite3.connect(tmp_path / "state" / "cable-state.sqlite3")
    assert db.execute("SELECT id FROM articles").fetchall() == [("fp-1",)]


def test_an_unchanged_article_is_kept_without_its_text(crawler):
    """An article read again unchanged is not written; only what the state records of it is kept
    until the crawl closes (a full re-crawl of 10,000 known articles kept every body)."""
    component = IncrementalCrawl.of(crawler)
    known = article(body=["Copy.", "x" * 100_000])
    component.state.record([dict(known)])
    assert component.compare(article(body=["Copy.", "x" * 100_000])) == "unchanged"
    [kept] = component.unchanged
    assert set(kept) == {"id", "url", "fingerprint", "modified_at", "revision"} and kept["id"] == known["id"]


def test_the_state_lock_taken_again_with_every_item_costs_no_system_call(tmp_path, monkeypatch):
    """The writer and the revision check take the state's lock again with every item (a no-op
    once held); it resolved the lock file's real path each time, a system call per path
    component, 2 x 10,000 times in a 10,000-article crawl."""
    import os

    from cable_crawler.incremental import locks

    lock_file = tmp_path / "state" / "cable-state.sqlite3.lock"
    locks.hold(lock_file, "the test state")
    calls = []
    real = os.path.realpath
    monkeypatch.setattr(os.path, "realpath", lambda *a, **k: calls.append(a) or real(*a, **k))
    for _ in range(100):
        locks.hold(lock_file, "the test state")
        locks.hold(str(lock_file), "the test state")
    assert calls == []
    other = tmp_path / "other.lock"
    locks.hold(other, "another state")  # a lock not held yet is still taken for real
    assert len(calls) == 1 and other.read_text() == str(os.getpid())


def test_the_state_lock_is_asked_of_the_file_system_once_per_state(tmp_path, monkeypatch):
    """state.lock, called with every item, goes to locks.hold once per state directory (as the
    working directory resolves it); another directory is still locked for real."""
    from scrapy.settings import Settings

    from cable_crawler.incremental import locks, state

    taken = []
    real = locks.hold
    monkeypatch.setattr(locks, "hold", lambda path, what: taken.append(str(path)) or real(path, what))
    monkeypatch.chdir(tmp_path)
    for _ in range(100):
        state.lock(Settings({"CABLE_STATE_DIR": "one"}))
    state.lock(Settings({"CABLE_STATE_DIR": str(tmp_path / "two")}))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    state.lock(Settings({"CABLE_STATE_DIR": "one"}))  # a relative directory names another state here
    assert taken == ["one/cable-state.sqlite3.lock", str(tmp_path / "two" / "cable-state.sqlite3.lock"),
                     "one/cable-state.sqlite3.lock"]
    assert (tmp_path / "elsewhere" / "one" / "cable-state.sqlite3.lock").read_text() == str(os.getpid())


def test_the_dedup_pipeline_keeps_little_per_article(crawler):
    """The duplicate check keeps, per article, its id and fingerprint (the item's own strings)
    and the URL it claims: no new key strings ("id:fp-1", "fingerprint:..." took ~190 bytes)."""
    from cable_crawler.extraction.processors import content_fingerprint
    from cable_crawler.pipelines import DeduplicationPipeline

    items = []
    for n in range(2000):
        body = [f"Copy {n}."]
        items.append(article(id=f"fp-{n}", url=f"{BASE}/2021/06/02/copy-{n}/", body=body,
                             fingerprint=content_fingerprint("A headline", body)))
    pipeline = DeduplicationPipeline.from_crawler(crawler)
    pipeline.process_item(article(id="fp-x", url=f"{BASE}/2021/06/02/x/", body=["X."]), crawler.spider)
    tracemalloc.start()
    try:
        for item in items:
            pipeline.process_item(item, crawler.spider)
        retained, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert retained / len(items) < 250, f"{retained / len(items):.0f} bytes per article"  # 324 before, 141 now


def test_an_answered_request_drops_its_listing(crawler):
    """Every article request kept its index entry until the crawl closed; only the requests
    never answered need it (a crawl that closes early keeps them for the next run)."""
    component = IncrementalCrawl.of(crawler)
    for n in range(3):
        url = f"{BASE}/2021/06/02/copy-{n}/"
        component.requested(url, {"url": url, "signature": f"sig-{n}"})
    component.answered(f"{BASE}/2021/06/02/copy-0/")
    assert not component.unfinished.requested[f"{BASE}/2021/06/02/copy-0/"]
    assert component.was_requested(f"{BASE}/2021/06/02/copy-0/")
    recorded = component.unfinished.to_record(crawler.stats, "shutdown")
    assert sorted((f["url"], f["listing_signature"]) for f in recorded["failed"]) == [
        (f"{BASE}/2021/06/02/copy-1/", "sig-1"), (f"{BASE}/2021/06/02/copy-2/", "sig-2")]



@pytest.mark.parametrize("source, listing_page", [
    ("html", lambda path: path.startswith("/channel/")),
    ("api", lambda path: path.startswith("/wp-json/") and "/posts?" in path),  # the API's post list
])
def test_the_index_walk_reads_one_page_ahead_of_its_articles(tmp_path, source, listing_page):
    """The walk reads index page n+1 after the articles of page n-1 and before those of page n
    (index_page_priority, listed_article_priority). With one priority for all, the scheduler's
    LIFO order took each next index page first: the walk ran to the end of the index while
    every article request of the crawl waited in memory (+13 MiB at 10,000 articles). With the
    articles above every index page, the download slots idled while each page was read."""
    from conftest import scrapy_crawl
    from fpsite import FPSite, grow_site

    per_page, pages = 20, 10
    grow_site(tmp_path / "site", articles=per_page * pages, per_page=per_page)
    # Articles answered 50 ms late: every download slot is busy while an index page is read, so the
    # request taken next is the priorities' choice, not the reader's speed. (Answered at once, the
    # slots that free up while a page's requests are queued took up to all 20 of page-1's articles
    # before page n+1 was queued: 18-20 seen once pages were read in 2 ms.)
    with FPSite(site_dir=tmp_path / "site", article_delay=0.05) as site:
        result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", "mode=full", f"source={source}",
                              settings={"AUTOTHROTTLE_ENABLED": False, "CABLE_WP_API_PER_PAGE": per_page})
        paths = list(site.requests)
    assert result.returncode == 0 and len(result.articles) == per_page * pages, result.log[-2000:]
    index_at = [i for i, path in enumerate(paths) if listing_page(path)]
    assert len(index_at) == pages
    for page, at in enumerate(index_at[1:], start=2):
        articles_before = sum(1 for path in paths[:at] if path.startswith(("/19", "/20")))
        # The articles of pages 1 .. page-2, and at most the 8 (CONCURRENT_REQUESTS) of page-1
        # that free download slots take while page-1 is still being read (its next page is
        # yielded after its articles), give or take the order in which the 8 connections reach
        # the site. Not all of the crawl's (the walk running ahead: 14 and more below), not all
        # of page-1's (the walk waiting for its articles: 19-20 above).
        ahead = articles_before - (page - 2) * per_page
        assert -8 <= ahead <= per_page - 4, (page, articles_before, paths[:at])
