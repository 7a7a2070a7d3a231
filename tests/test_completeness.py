"""Nothing missed: the completeness pass (spiders/cable.py, after the index walks) compares the
channel's posts as the WordPress API lists them with the crawl state and fetches what is
missing. Real `scrapy crawl` runs against a grown loopback site whose column index (and so
its WP REST replica, built from the index) changes while a crawl reads it."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from pathlib import Path

import pytest

from conftest import scrapy_crawl
from fpsite import FPSite, copy_slug, grow_site, write_listing

pytestmark = pytest.mark.reliability

PER_PAGE = 10
FAST = {"RETRY_TIMES": 1, "CABLE_RETRY_BACKOFF_BASE": 0.01, "CABLE_RETRY_BACKOFF_MAX": 0.1}


class ChangingSite(FPSite):
    """A grown site that runs `change()` once, just before it serves the column's index page
    `at_page` (`?results-page=N`) for the first time: the crawl has read the pages before it."""

    def __init__(self, root: Path, at_page: int | None = None, change=None):
        super().__init__(site_dir=root)
        base = self.httpd.RequestHandlerClass
        lock = threading.Lock()
        self.changed = threading.Event()

        def do_GET(handler):
            if at_page is not None and f"results-page={at_page}" in handler.path:
                with lock:
                    if not self.changed.is_set():
                        change()
                        self.changed.set()
            return base.do_GET(handler)

        self.httpd.RequestHandlerClass = type("ChangingSiteHandler", (base,), {"do_GET": do_GET})


def post_id(n: int) -> str:
    return f"fp-{2000000 + n}"


def run(site, work: Path, *args: str, settings: dict | None = None):
    """One scheduled run (incremental, the default source=both unless args say otherwise), the
    crawl state shared by all runs; .requests is what this run asked the site."""
    output = work / f"output-{len(list(work.glob('output-*'))) + 1}"
    before = len(site.requests)
    result = scrapy_crawl(output, f"base_url={site.url}", *args,
                          settings={**FAST, **(settings or {}), "CABLE_STATE_DIR": str(work / "state")})
    assert result.returncode == 0, result.log[-3000:]
    result.requests = site.requests[before:]
    return result


def state_ids(work: Path) -> Counter:
    db = sqlite3.connect(work / "state" / "cable-state.sqlite3")
    try:
        return Counter(row[0] for row in db.execute("SELECT id FROM articles"))
    finally:
        db.close()


def written_ids(work: Path) -> Counter:
    return Counter(json.loads(line)["id"] for path in sorted(work.glob("output-*/the-cable-*.jsonl"))
                   for line in path.read_text("utf-8").splitlines())


def assert_complete(work: Path, posts, maybe=()) -> None:
    """Every post the site lists is in the crawl state, and was written, exactly once;
    `maybe`: posts that may or may not have been read before they were deleted."""
    expected = {post_id(n) for n in posts}
    optional = {post_id(n) for n in maybe}
    for counts in (state_ids(work), written_ids(work)):
        assert set(counts) - optional == expected
        assert max(counts.values()) == 1


def grown(tmp_path: Path, articles: int, listed) -> Path:
    root = tmp_path / "site"
    grow_site(root, articles, per_page=PER_PAGE)
    write_listing(root, listed, PER_PAGE)
    return root


@pytest.mark.parametrize("first_source", ["both", "html"])
def test_an_article_deleted_while_the_walk_reads_the_next_page(tmp_path, first_source):
    """Copy 15 (index page 2) is deleted just before the walk reads page 3: copy 20 moves up to
    page 2, already read, and the walk never sees it. The API listed it before the walk started:
    the completeness pass of the same run fetches it. A run from the index alone (source=html)
    misses it, and its next incremental run stops at page 1 (all known) - the scheduled run
    after it (source=both) finds it in the API's list and fetches it."""
    root = grown(tmp_path, 30, range(30))
    remaining = [n for n in range(30) if n != 15]

    def delete_15():
        write_listing(root, remaining, PER_PAGE)
        (root / copy_slug(15) / "index.html").unlink()

    work = tmp_path / "work"
    with ChangingSite(root, at_page=3, change=delete_15) as site:
        first = run(site, work, f"source={first_source}")
        assert site.changed.is_set()
        moved_up = f"/{copy_slug(20)}/"
        if first_source == "html":
            assert moved_up not in first.requests
            assert post_id(20) not in state_ids(work)  # the index walk alone lost it
            assert "completeness pass: skipped (source=html" in first.log
        else:
            assert first.requests.count(moved_up) == 1
            assert f"completeness pass: {site.url}{moved_up} (post 2000020, 2021-06-02) is missing" in first.log
            assert "completeness pass: 30 posts listed by the API, 1 missing from the crawl state and this crawl," \
                   " 1 requested" in first.log
        second = run(site, work)
        assert [r for r in second.requests if r.startswith("/channel/")] == ["/channel/the-cable/"]
        assert second.requests.count(moved_up) == (1 if first_source == "html" else 0)
        assert "completeness pass: 29 posts listed by the API" in second.log
    # 15 was read if its page was fetched before the deletion, else it failed (404, final).
    assert_complete(work, [n for n in remaining], maybe=[15])


def test_an_article_published_while_the_walk_reads_page_3(tmp_path):
    """Copy 30 is published at the top of page 1 just before the walk reads page 3: entries
    shift down (page 3 repeats the last of page 2, a page 4 appears). The run reads every
    entry it was shown; the next scheduled run finds the new article on page 1."""
    root = grown(tmp_path, 31, range(30))

    def publish_30():
        write_listing(root, [30, *range(30)], PER_PAGE)

    work = tmp_path / "work"
    with ChangingSite(root, at_page=3, change=publish_30) as site:
        first = run(site, work)
        assert site.changed.is_set()
        assert post_id(30) not in state_ids(work)  # published after page 1 and the API list were read
        assert_complete(work, range(30))
        second = run(site, work)
        assert second.requests.count(f"/{copy_slug(30)}/") == 1
        assert "completeness pass: 31 posts listed by the API, 0 missing" in second.log
    assert_complete(work, range(31))


def test_an_article_that_failed_is_fetched_once_by_the_next_run(tmp_path):
    """Copy 15 answers 503 in the first run: the failures table asks for it again in the next
    run, and the completeness pass (it is listed by the API) does not ask twice."""
    root = grown(tmp_path, 30, range(30))
    failing = f"/{copy_slug(15)}/"
    routes = root / "_routes.json"
    routes.write_text(json.dumps({failing: {"status": 503}}))
    work = tmp_path / "work"
    with ChangingSite(root) as site:
        first = run(site, work)
        assert post_id(15) not in state_ids(work)
        assert "1 missing" not in first.log  # requested by this crawl (and failed): not missing
        routes.unlink()
        second = run(site, work)
        assert second.requests.count(failing) == 1
        assert "completeness pass: 30 posts listed by the API, 0 missing" in second.log
    assert_complete(work, range(30))


def test_at_most_cable_completeness_max_a_run_newest_first(tmp_path):
    """Two posts lost by the walk (15 and 16 deleted while it read page 3: 20 and 21 moved up);
    CABLE_COMPLETENESS_MAX=1: the next run fetches the newer, says one is left, the run after
    fetches the other."""
    root = grown(tmp_path, 30, range(30))
    remaining = [n for n in range(30) if n not in (15, 16)]

    def delete_two():
        write_listing(root, remaining, PER_PAGE)

    work = tmp_path / "work"
    with ChangingSite(root, at_page=3, change=delete_two) as site:
        run(site, work, "source=html")
        assert not {post_id(20), post_id(21)} & set(state_ids(work))
        limited = {"CABLE_COMPLETENESS_MAX": 1}
        second = run(site, work, settings=limited)
        assert f"/{copy_slug(20)}/" in second.requests and f"/{copy_slug(21)}/" not in second.requests
        assert "completeness pass: 1 more missing posts left for the next run (CABLE_COMPLETENESS_MAX=1)" in second.log
        assert "1 requested, 1 left for the next run (CABLE_COMPLETENESS_MAX)" in second.log
        third = run(site, work, settings=limited)
        assert f"/{copy_slug(21)}/" in third.requests
    assert_complete(work, remaining, maybe=[15, 16])


def test_the_pass_keeps_to_since_and_until(tmp_path):
    """A post outside since/until is not missing: the pass covers the crawl's window only."""
    root = grown(tmp_path, 12, range(12))
    work = tmp_path / "work"
    with ChangingSite(root) as site:
        result = run(site, work, "since=2021-06-03")
    assert "completeness pass: 0 posts the API lists (since=2021-06-03 until=-); 0 neither" in result.log
    assert not [r for r in result.requests if "bench-copy" in r]


@pytest.mark.parametrize("args, settings, skipped", [
    (["source=html"], {}, "source=html: no list of the channel's posts to compare with"),
])
def test_the_pass_says_when_it_cannot_run(tmp_path, args, settings, skipped):
    root = grown(tmp_path, 3, range(3))
    with ChangingSite(root) as site:
        result = run(site, tmp_path / "work", *args, settings=settings)
    assert f"completeness pass: skipped ({skipped})" in result.log


def test_api_unavailable_skips_the_pass_with_its_reason(tmp_path):
    with FPSite(api_fault=503) as site:
        result = run(site, tmp_path / "work")
    assert "completeness pass: skipped (the WordPress REST API was unavailable)" in result.log
