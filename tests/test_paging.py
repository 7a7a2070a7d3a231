"""Paging that ends, and failures that are not forgotten: an index whose every
`?results-page=N` repeats entries, articles that failed in an earlier run, and
the archive below a first run's max_pages — against real `scrapy crawl`
processes and servers on 127.0.0.1."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import scrapy_crawl
from faultsite import FaultySite
from fpsite import grow_site

pytestmark = pytest.mark.reliability

FAST = {"RETRY_TIMES": 1, "CABLE_RETRY_BACKOFF_BASE": 0.01, "CABLE_RETRY_BACKOFF_MAX": 0.1, "DOWNLOAD_TIMEOUT": 1}
# Hang guard only: the unfixed spider pages such an index forever; this ends it so the asserts can say so.
GUARD = {"CLOSESPIDER_PAGECOUNT": 150}


def copy(n: int) -> str:
    """Path of grow_site's article copy number n."""
    return f"/2021/06/02/bench-copy-{n:05d}/"


class RepeatingIndexSite(FaultySite):
    """grow_site's articles, behind a column index built per request: `listing(page)` gives the
    copy numbers page N lists, and every page links to page N + 1, as CMSs do past the end."""

    def __init__(self, root: Path, listing, **kwargs):
        super().__init__(fault_rate=0.0, site_dir=root, **kwargs)
        base = self.httpd.RequestHandlerClass
        self.index_pages: list[int] = []

        def do_GET(handler):
            parts = urlsplit(handler.path)
            if parts.path != "/channel/the-cable/":
                return base.do_GET(handler)
            page = int((parse_qs(parts.query).get("results-page") or ["1"])[0])
            self.index_pages.append(page)
            entries = "".join(
                f'<div class="excerpt-content--list" data-post-id="{2000000 + n}"><a class="hed-heading -excerpt"'
                f' href="{handler._base()}{copy(n)}"><h3 class="hed">Copy {n}</h3></a>'
                f'<time datetime="2021-06-02">June 2</time></div>' for n in listing(page))
            html = (f'<html><body><div class="blog-list-layout">{entries}</div><a class="next page-numbers"'
                    f' href="{handler._base()}/channel/the-cable/?results-page={page + 1}">Next</a></body></html>')
            handler._send(200, html.encode())

        self.httpd.RequestHandlerClass = type("RepeatingIndex", (base,), {"do_GET": do_GET})


def stop_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "stop paging" in line]


@pytest.mark.parametrize("repeat_from", [1, 3], ids=["every-page-the-same", "pages-after-3-repeat-page-3"])
def test_an_index_that_repeats_its_entries_is_not_paged_forever(tmp_path, repeat_from, capsys):
    """Articles that fail (503) or hang keep the old 'all known' rule from ever stopping."""
    grow_site(tmp_path / "site", articles=9, per_page=3)
    listing = lambda page: range(3 * (min(page, repeat_from) - 1), 3 * min(page, repeat_from))  # noqa: E731
    failing, slow = copy(3 * repeat_from - 3), copy(3 * repeat_from - 2)
    with RepeatingIndexSite(tmp_path / "site", listing, always={failing: "503", slow: "slow"},
                            slow_seconds=1.5) as site:
        # source=html: the index walk alone (the WP replica lists grow_site's files, not this index).
        result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", "source=html",
                              settings={**FAST, **GUARD}, timeout=120)
        index_pages = list(site.index_pages)
    with capsys.disabled():
        print(f"\nrepeating index (repeat from page {repeat_from}): index pages requested={len(index_pages)}"
              f" articles written={len(result.articles)} rejects={len(result.rejects)}")
    stale_cap = 2  # CABLE_MAX_STALE_INDEX_PAGES default
    assert "closespider_pagecount" not in result.log  # the crawl ended by itself
    assert len(index_pages) <= repeat_from + stale_cap, index_pages
    assert sorted(index_pages) == list(range(1, repeat_from + stale_cap + 1))
    [stop] = stop_lines(result.log)
    assert "WARNING" in stop and "brought no new entry" in stop and "(stale)" in stop
    assert "index paging stopped: stale" in result.log  # the end-of-crawl summary
    # Nothing lost: every listed article is written or rejected with its reason.
    listed = {copy(n) for n in range(3 * repeat_from)}
    written = {a["url"][len(site.url):] for a in result.articles}
    rejected = {r["url"][len(site.url):]: r["reasons"] for r in result.rejects}
    assert written | set(rejected) == listed and not written & set(rejected)
    assert "HTTP 503" in rejected[failing][0] and "TimeoutError" in rejected[slow][0]
    assert max(Counter(a["id"] for a in result.articles).values()) == 1


# ------------------------------------------------------------------ failures and the archive, over runs

ARTICLE_E = "/2014/12/09/un-record-humanitarian-appeal-2015/"                     # index page 3
ARTICLE_F = "/2012/03/20/us-exempts-japan-and-10-eu-countries-from-iran-sanctions/"  # index page 3


def state_db(work: Path) -> sqlite3.Connection:
    return sqlite3.connect(work / "state" / "cable-state.sqlite3")


def failure_rows(work: Path) -> dict[str, tuple]:
    db = state_db(work)
    try:
        return {row[0]: row[1:] for row in db.execute("SELECT url, runs, given_up_at IS NOT NULL FROM failures")}
    finally:
        db.close()


def walk_rows(work: Path) -> list[tuple]:
    db = state_db(work)
    try:
        return db.execute("SELECT url, page FROM walks").fetchall()
    finally:
        db.close()


def state_urls(work: Path) -> list[str]:
    db = state_db(work)
    try:
        return [row[0] for row in db.execute("SELECT url FROM articles")]
    finally:
        db.close()


def run(site, work: Path, *args: str, settings: dict):
    """One scheduled `scrapy crawl` run: its own output directory (file names carry a time stamp
    to the second, and these runs are quicker than that), the crawl state shared by all runs.
    .new_articles and .new_rejects are what this run wrote, .requests what it asked the site."""
    runs = sorted(work.glob("output-*"))
    output = work / f"output-{len(runs) + 1}"
    before_requests = len(site.requests)
    result = scrapy_crawl(output, f"base_url={site.url}", *args,
                          settings={**settings, "CABLE_STATE_DIR": str(work / "state")})
    assert result.returncode == 0, result.log[-3000:]
    result.new_articles, result.new_rejects = result.articles, result.rejects
    result.requests = site.requests[before_requests:]
    result.index_requests = [r for r in result.requests if r.startswith("/channel/")]
    return result


def all_written(work: Path) -> list[dict]:
    return [json.loads(line) for path in sorted(work.glob("output-*/the-cable-*.jsonl"))
            for line in path.read_text("utf-8").splitlines()]


def test_an_article_that_failed_is_retried_by_the_next_runs_until_written_or_given_up(tmp_path):
    """F fails (503) in run 1 only, E in every run; both are on index page 3, below the
    page-1 stop of an incremental run."""
    settings = {**FAST, "CABLE_FAILED_MAX_ATTEMPTS": 3}
    with FaultySite(fault_rate=0.0, always={ARTICLE_E: "503", ARTICLE_F: "503"}) as site:
        faults = site.httpd.RequestHandlerClass.always
        first = run(site, tmp_path, settings=settings)
        assert {r["url"] for r in first.new_rejects} >= {site.url + ARTICLE_E, site.url + ARTICLE_F}

        del faults[ARTICLE_F]  # the site serves F again
        second = run(site, tmp_path, settings=settings)
        assert ARTICLE_F in second.requests and ARTICLE_E in second.requests
        assert second.index_requests == ["/channel/the-cable/"]  # page 1 is all known: the retries come from the state
        assert [a["url"] for a in second.new_articles] == [site.url + ARTICLE_F]
        assert [a["url"] for a in all_written(tmp_path)].count(site.url + ARTICLE_F) == 1
        assert "failed articles: 2 retried from earlier runs, 1 kept for the next run, 0 given up" in second.log
        assert failure_rows(tmp_path) == {site.url + ARTICLE_E: (2, 0)}  # F is resolved: no row left
        assert site.url + ARTICLE_F in state_urls(tmp_path)

        third = run(site, tmp_path, settings=settings)
        [reject] = third.new_rejects
        assert reject["url"] == site.url + ARTICLE_E
        assert reject["reasons"] == ["article page: HTTP 503 (gave up after 1 retries)",
                                     "article page: given up after 3 failed runs (CABLE_FAILED_MAX_ATTEMPTS=3)"]
        assert failure_rows(tmp_path) == {site.url + ARTICLE_E: (3, 1)}
        assert "failed articles: 1 retried from earlier runs, 0 kept for the next run, 1 given up" in third.log

        fourth = run(site, tmp_path, settings=settings)
        assert ARTICLE_E not in fourth.requests  # given up: not requested again
        assert fourth.new_rejects == []
    urls = [a["url"] for a in all_written(tmp_path)]
    assert len(urls) == len(set(urls)) and site.url + ARTICLE_E not in urls


def test_the_archive_below_max_pages_is_walked_by_the_next_runs(tmp_path):
    grow_site(tmp_path / "site", articles=12, per_page=3)  # 4 index pages
    everything = {copy(n) for n in range(12)}
    with FaultySite(fault_rate=0.0, site_dir=tmp_path / "site") as site:
        first = run(site, tmp_path, "max_pages=1", settings=FAST)
        assert len(first.new_articles) == 3

        # Page 1 is all known, as every incremental run finds it; the archive walk reads one more page.
        second = run(site, tmp_path, "max_pages=1", settings=FAST)
        assert sorted(second.index_requests) == ["/channel/the-cable/", "/channel/the-cable/?results-page=2"]
        assert len(second.new_articles) == 3
        assert "the next run goes on at" in first.log and "archive walks left for the next run: 1" in first.log
        assert walk_rows(tmp_path) == [(f"{site.url}/channel/the-cable/?results-page=3", 3)]

        third = run(site, tmp_path, settings=FAST)  # no max_pages: the walk goes on to the end of the index
        assert sorted(third.index_requests) == ["/channel/the-cable/", "/channel/the-cable/?results-page=3",
                                 "/channel/the-cable/?results-page=4"]
        assert "archive walks continued from earlier runs: 1 (last stopped: last_page)" in third.log
        assert walk_rows(tmp_path) == []

        fourth = run(site, tmp_path, settings=FAST)
        assert fourth.index_requests == ["/channel/the-cable/"]  # nothing left to walk
        assert fourth.new_articles == []
    urls = state_urls(tmp_path)
    assert sorted(u[len(site.url):] for u in urls) == sorted(everything)  # each article once in the state
    written = [a["url"][len(site.url):] for a in all_written(tmp_path)]
    assert sorted(written) == sorted(everything)  # and once in the outputs


def test_a_failed_index_page_is_walked_again_by_the_next_run(tmp_path):
    """Index page 2 answers 503 in run 1: the articles below it are read by run 2."""
    grow_site(tmp_path / "site", articles=9, per_page=3)
    with FaultySite(fault_rate=0.0, site_dir=tmp_path / "site") as site:
        handler = site.httpd.RequestHandlerClass
        base_get = handler.do_GET

        def do_GET(self):
            if "results-page=2" in self.path and site.fail_page_2:
                return self.fault_503()
            return base_get(self)

        handler.do_GET = do_GET
        site.fail_page_2 = True
        # source=html: the walk alone (with the API, the completeness pass reads the 6 at once).
        first = run(site, tmp_path, "source=html", settings=FAST)
        assert len(first.new_articles) == 3
        assert [r["reasons"] for r in first.new_rejects] == [["index page: HTTP 503 (gave up after 1 retries)"]]
        site.fail_page_2 = False
        second = run(site, tmp_path, "source=html", settings=FAST)
        assert len(second.new_articles) == 6
        assert walk_rows(tmp_path) == []


def test_articles_a_crawl_closed_before_reaching_are_made_by_the_next_run(tmp_path):
    """Run 1 closes early (CLOSESPIDER_ITEMCOUNT) with page 1 written and page 2's articles not
    all reached; run 2, incremental, stops paging at the all-known page 1 and still makes them."""
    grow_site(tmp_path / "site", articles=6, per_page=3)
    everything = {copy(n) for n in range(6)}
    early = {**FAST, "CONCURRENT_REQUESTS": 1, "CLOSESPIDER_ITEMCOUNT": 3,
             # first in, first out within a priority: page 1's articles in page order
             "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
             # each page read as it arrives: a worker would read every page already downloaded
             # before the third item closes the crawl, and run 2 would have nothing left to make
             "CABLE_READER_PROCESSES": 0}
    with FaultySite(fault_rate=0.0, site_dir=tmp_path / "site") as site:
        first = scrapy_crawl(tmp_path / "output-1", f"base_url={site.url}",
                             settings={**early, "CABLE_STATE_DIR": str(tmp_path / "state")})
        assert "closespider_itemcount" in first.log
        # Page 1's articles, and at most the one of page 2 already under way when the third item
        # closed the crawl (the walk reads page 2 before page 1's articles: one page ahead).
        written = {a["url"][len(site.url):] for a in first.articles}
        assert {copy(n) for n in range(3)} <= written <= {copy(n) for n in range(4)}
        run(site, tmp_path, settings=FAST)  # (run() asserts exit status 0)
    assert {a["url"][len(site.url):] for a in all_written(tmp_path)} == everything
    assert sorted(u[len(site.url):] for u in state_urls(tmp_path)) == sorted(everything)
    assert failure_rows(tmp_path) == {} and walk_rows(tmp_path) == []


def test_an_index_page_that_fails_in_every_run_is_given_up_with_a_reason(tmp_path):
    grow_site(tmp_path / "site", articles=6, per_page=3)
    settings = {**FAST, "CABLE_FAILED_MAX_ATTEMPTS": 2}
    with FaultySite(fault_rate=0.0, site_dir=tmp_path / "site") as site:
        handler = site.httpd.RequestHandlerClass
        base_get = handler.do_GET
        handler.do_GET = lambda self: self.fault_503() if "results-page=2" in self.path else base_get(self)
        first = run(site, tmp_path, settings=settings)
        assert first.new_rejects[0]["reasons"] == ["index page: HTTP 503 (gave up after 1 retries)"]
        second = run(site, tmp_path, settings=settings)  # walks on at page 2, which fails again
        assert "/channel/the-cable/?results-page=2" in second.index_requests
        assert [r["reasons"] for r in second.new_rejects] == [[
            "index page: HTTP 503 (gave up after 1 retries)",
            "index page: given up after 2 failed runs (CABLE_FAILED_MAX_ATTEMPTS=2)"]]
        assert walk_rows(tmp_path) == []
        third = run(site, tmp_path, settings=settings)
        assert third.index_requests == ["/channel/the-cable/"]


# ------------------------------------------------------------------ the rules, without a server

@pytest.mark.parametrize("status, ignored, expected", [
    (None, False, True),    # timeout, DNS, connection refused or reset: may pass
    (500, False, True), (502, False, True), (503, False, True), (504, False, True),
    (408, False, True), (429, False, True),
    (404, False, False), (410, False, False), (403, False, False), (401, False, False),
    (None, True, False),    # refused on purpose: off-site redirect, redirect loop
])
def test_which_failures_are_retried_by_later_runs(status, ignored, expected):
    from cable_crawler.incremental.unfinished import retryable
    assert retryable(status, ignored=ignored) is expected


@pytest.mark.parametrize("stats, expected", [
    ({}, []),
    ({"cable/paging_stopped": "stale"}, ["  index paging stopped: stale"]),
    ({"cable/paging_stopped": "known", "cable/archive_walks_resumed": 1, "cable/archive_walk_stopped": "max_pages",
      "cable/archive_walks_open": 1},
     ["  index paging stopped: known", "  archive walks continued from earlier runs: 1 (last stopped: max_pages)",
      "  archive walks left for the next run: 1"]),
    ({"cable/failed_articles_retried": 3, "cable/failed_articles_remembered": 1, "cable/failed_articles_given_up": 2},
     ["  failed articles: 3 retried from earlier runs, 1 kept for the next run, 2 given up"]),
    ({"cable/articles_not_reached": 4, "cable/failed_articles_remembered": 4},
     ["  articles requested but not reached before the crawl closed: 4 (kept for the next run)",
      "  failed articles: 0 retried from earlier runs, 4 kept for the next run, 0 given up"]),
])
def test_summary_says_why_paging_stopped_and_what_is_left(stats, expected):
    from cable_crawler.operations.summary import paging_lines
    assert paging_lines(stats) == expected


def test_a_written_article_clears_its_failure_row_with_its_record(tmp_path):
    from cable_crawler.incremental.state import CrawlState
    db = CrawlState(tmp_path / "state.sqlite3")
    failure = {"runs": 1, "status": 503, "reason": "article page: HTTP 503"}
    db.record_unfinished([{"url": "https://fp/a/", **failure}, {"url": "https://fp/b/", **failure}], [], [],
                         [{"url": "https://fp/i?results-page=2", "page": 2, "reason": "max_pages=1", "failures": 0}])
    assert [f.url for f in db.unresolved(10)] == ["https://fp/a/", "https://fp/b/"]
    assert [w.url for w in db.walks()] == ["https://fp/i?results-page=2"]
    db.record([{"id": "fp-1", "url": "https://fp/a-moved/", "fingerprint": "x", "listing_urls": ["https://fp/a/"]}])
    assert [f.url for f in db.unresolved(10)] == ["https://fp/b/"]
    db.record_unfinished([{"url": "https://fp/b/", **failure, "runs": 2, "given_up": True}], [],
                         ["https://fp/i?results-page=2"], [])
    assert db.unresolved(10) == [] and db.failure("https://fp/b/").given_up and db.walks() == []
    db.close()
