"""IncrementalCrawl, the one owner of incremental crawling (cable_crawler/incremental/component.py):
its interface, called directly, and how the spider and the pipelines find it."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta

import pytest
from scrapy import Spider
from scrapy.core.engine import ExecutionEngine
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler, get_reactor_settings

from conftest import INCREMENTAL, collect
from test_pipelines import article
from test_spider import INSIDER_PAGE

from cable_crawler.extraction.pages.listing import ListingEntry
from cable_crawler.incremental.component import IncrementalCrawl
from cable_crawler.incremental.state import CrawlState
from cable_crawler.items import PageFailure
from cable_crawler.pipelines import (DeduplicationPipeline, JsonLinesWriterPipeline, RevisionPipeline,
                                     ValidationPipeline)
from cable_crawler.spiders.cable import CableSpider

BASE = "https://foreignpolicy.com"
TODAY = date(2026, 11, 25)
OLD = TODAY - timedelta(days=30)


def entry(path: str, post_id: str | None, headline: str = "A headline", published: date = OLD) -> ListingEntry:
    return ListingEntry(url=BASE + path, published=published, post_id=post_id, headline=headline)


def stored(tmp_path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "state" / "cable-state.sqlite3")


# ------------------------------------------------------------------ what earlier runs wrote

KNOWN = entry("/2021/06/02/known/", "1001")
RECENT = entry("/2026/11/24/recent/", "1002", published=TODAY - timedelta(days=1))
LEGACY = entry("/posts/2015/06/10/legacy", None)  # no post id: known by the URL it was listed under


@pytest.mark.parametrize("listed, mode, expected", [
    (KNOWN, "incremental", "known"),                                  # known, same signature, not recent
    (entry("/2021/06/02/known/", "1001", headline="A new headline"), "incremental", None),  # index changed
    (entry("/2021/06/02/moved/", "1001"), "incremental", "known"),    # same id under another URL
    (LEGACY, "incremental", "known"),                                 # no id: found by its listing URL
    (RECENT, "incremental", None),                                    # within refresh_days: fetched again
    (entry("/2021/06/03/new/", "1003"), "incremental", None),         # new
    (KNOWN, "full", None),                                            # full mode reads everything
    (entry("/2021/06/04/written/", "1004"), "full", "written"),       # written by this run: never again
    (entry("/2021/06/04/written/", None), "incremental", "written"),  # ... by URL too
])
def test_skip_reason_of_an_index_entry(crawler, listed, mode, expected):
    component = IncrementalCrawl.of(crawler)
    component.state.record([
        {"id": "fp-1001", "url": KNOWN.url, "fingerprint": "f1", "listing_signature": KNOWN.signature},
        {"id": "fp-1002", "url": RECENT.url, "fingerprint": "f2", "listing_signature": RECENT.signature},
        {"id": "url-0123456789abcdef0123", "url": BASE + "/2015/06/10/legacy/", "fingerprint": "f3",
         "listing_urls": [LEGACY.url], "listing_signature": LEGACY.signature},
    ])
    component.record_written({"id": "fp-1004", "url": BASE + "/2021/06/04/written/", "fingerprint": "f4"})
    assert component.skip_reason(listed, mode, refresh_days=2, today=TODAY) == expected


@pytest.mark.parametrize("url, post_id, expected", [
    (KNOWN.url, "fp-1001", "known"),                          # in the crawl state
    (BASE + "/2021/06/02/moved/", "fp-1001", "known"),        # ... by its id under another URL
    (LEGACY.url, None, "known"),                              # ... by a URL it was listed under
    (BASE + "/2021/06/04/written/", "fp-1004", "written"),    # written by this run
    (BASE + "/2021/06/05/asked/", "fp-1005", "requested"),    # requested by this run (it failed, or is out of window)
    (BASE + "/2021/06/06/gone/", "fp-1006", "given_up"),      # failed in too many runs: not asked again
    (BASE + "/2021/06/07/failed-once/", "fp-1007", "failed"),  # failed once: the failures table retries it
    (BASE + "/2021/06/08/missed/", "fp-1008", None),          # nobody has it: the completeness pass asks for it
    (BASE + "/2021/06/09/malformed/", "fp-1009", "rejected"),  # rejected for good by an earlier run
])
def test_had_tells_what_the_completeness_pass_need_not_request(crawler, url, post_id, expected):
    component = IncrementalCrawl.of(crawler)
    component.state.record([
        {"id": "fp-1001", "url": KNOWN.url, "fingerprint": "f1"},
        {"id": "url-0123456789abcdef0123", "url": BASE + "/2015/06/10/legacy/", "fingerprint": "f3",
         "listing_urls": [LEGACY.url]},
    ])
    failed = [{"url": BASE + "/2021/06/06/gone/", "runs": 5, "reason": "HTTP 503", "given_up": True},
              {"url": BASE + "/2021/06/07/failed-once/", "runs": 1, "reason": "HTTP 503"}]
    component.state.record_unfinished(failed, [], [], [], rejected=[{"url": BASE + "/2021/06/09/malformed/",
                                                                    "reason": "missing headline"}])
    component.record_written({"id": "fp-1004", "url": BASE + "/2021/06/04/written/", "fingerprint": "f4"})
    component.requested(BASE + "/2021/06/05/asked/")
    assert component.had(url, post_id) == expected


def test_a_rejected_page_edited_since_is_missing_again(crawler):
    component = IncrementalCrawl.of(crawler)
    url = BASE + "/2021/06/09/malformed/"
    component.state.record_unfinished([], [], [], [], rejected=[{"url": url, "reason": "missing headline"}])
    rejected_at = component.state.rejection(url).rejected_at
    assert component.had(url, modified="2021-06-09T12:00:00+00:00") == "rejected"   # edited before: still bad
    assert component.had(url, modified="2999-01-01T00:00:00+00:00") is None          # edited after: try again
    assert component.had(url, modified=rejected_at) == "rejected"
    component.state.record([{"id": "fp-1009", "url": url, "fingerprint": "f9"}])     # written later: row gone
    assert component.state.rejection(url) is None


@pytest.mark.parametrize("changes, expected, revision", [
    ({}, "unchanged", 3),
    ({"body": ["Corrected text."]}, "revised", 4),
    ({"modified_at": "2021-06-03T09:00:00+00:00"}, "revised", 4),
    ({"id": "fp-2", "url": BASE + "/2021/06/02/other/"}, "new", 1),
])
def test_compare_tells_new_revised_and_unchanged_articles(crawler, changes, expected, revision):
    component = IncrementalCrawl.of(crawler)
    known = article()
    component.state.record([{**known, "revision": 3}])
    item = article(**changes)
    assert component.compare(item) == expected
    assert item["revision"] == revision
    assert item["previous_fingerprint"] == (known["fingerprint"] if expected == "revised" else None)
    assert crawler.stats.get_value(f"cable/articles_{expected}") == 1


# ------------------------------------------------------------------ publish

def test_publish_records_exactly_the_published_lines_failures_and_walks(crawler, tmp_path):
    component = IncrementalCrawl.of(crawler)
    published = tmp_path / "published.jsonl"
    lines = [dict(article(id="fp-1")), dict(article(id="fp-2", url=BASE + "/2021/06/02/b/", headline="B"))]
    published.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    # Written by this run but not in the published file: never recorded.
    component.record_written({"id": "fp-9", "url": BASE + "/2021/06/02/lost/", "fingerprint": "x"})
    component.failed(PageFailure(page_kind="article", url=BASE + "/2021/06/02/c/", status=503, retry=True,
                                 reason="article page: HTTP 503", listing={"url": BASE + "/2021/06/02/c/",
                                                                          "signature": "sig-c"}))
    walk = component.walk(BASE + "/channel/the-cable/")
    walk.resume = {"url": BASE + "/channel/the-cable/?results-page=3", "page": 3, "reason": "max_pages=2",
                   "failures": 0}
    component.publish(published, "finished")
    db = stored(tmp_path)
    assert sorted(row[0] for row in db.execute("SELECT id FROM articles")) == ["fp-1", "fp-2"]
    assert db.execute("SELECT url, runs, status, listing_signature FROM failures").fetchall() == [
        (BASE + "/2021/06/02/c/", 1, 503, "sig-c")]
    assert db.execute("SELECT url, page, reason FROM walks").fetchall() == [
        (BASE + "/channel/the-cable/?results-page=3", 3, "max_pages=2")]
    assert crawler.stats.get_value("cable/failed_articles_remembered") == 1
    assert crawler.stats.get_value("cable/archive_walks_open") == 1


def test_publish_is_one_transaction(crawler, tmp_path, monkeypatch):
    """A state that fails while recording the failures and walks keeps none of the file's lines
    either: the next run knows exactly what it knew before, and writes the articles again."""
    component = IncrementalCrawl.of(crawler)
    published = tmp_path / "published.jsonl"
    published.write_text(json.dumps(dict(article())) + "\n", "utf-8")
    component.walk(BASE + "/channel/the-cable/").resume = {
        "url": BASE + "/channel/the-cable/?results-page=2", "page": 2, "reason": "max_pages=1", "failures": 0}

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")
    monkeypatch.setattr(CrawlState, "_record_unfinished", broken)
    component.publish(published, "finished")
    db = stored(tmp_path)
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone() == (0,)
    assert db.execute("SELECT COUNT(*) FROM urls").fetchone() == (0,)
    assert crawler.stats.get_value("cable/output_failed").endswith("disk I/O error")


def test_a_file_kept_for_resume_records_nothing_but_unchanged_entries(crawler, tmp_path):
    component = IncrementalCrawl.of(crawler)
    component.state.record([dict(article(id="fp-7", url=BASE + "/2021/06/02/seven/"))])
    unchanged = article(id="fp-7", url=BASE + "/2021/06/02/seven/",
                        listing={"url": BASE + "/2021/06/02/seven/?from=index", "signature": "sig-7"})
    component.listed(unchanged)
    assert component.compare(unchanged) == "unchanged"
    component.failed(PageFailure(page_kind="article", url=BASE + "/x/", status=503, retry=True, reason="503"))
    component.publish(None, "shutdown", complete=False)
    db = stored(tmp_path)
    assert db.execute("SELECT id, listing_signature FROM articles").fetchall() == [("fp-7", "sig-7")]
    assert db.execute("SELECT COUNT(*) FROM failures").fetchone() == (0,)


# ------------------------------------------------------------------ the index entry travels with the request

def test_the_listing_signature_reaches_the_state_from_the_request_meta(tmp_path):
    """Index entry -> article request meta -> item -> ValidationPipeline -> IncrementalCrawl -> state.
    The spider tells the component nothing when it reads the page; the written line holds no listing."""
    crawler = get_crawler(CableSpider, {**INCREMENTAL, "CABLE_OUTPUT_DIR": str(tmp_path / "output"),
                                        "CABLE_STATE_DIR": str(tmp_path / "state")})
    spider = crawler.spider = CableSpider.from_crawler(crawler, base_url=BASE)
    url = BASE + "/2023/03/01/insider-post/"
    listed = ListingEntry(url=url + "?utm_source=index", published=date(2023, 3, 1), post_id="1100200",
                          headline="An Insider Post")
    request = spider.article_request(listed.url, listed)
    assert request.meta["listing"] == {"url": url, "signature": listed.signature}
    [item] = collect(spider.parse_article(HtmlResponse(url=url, body=INSIDER_PAGE, request=request)))
    component = spider.incremental
    assert item["listing"] == request.meta["listing"] and component.listings == {}  # on the item only
    pipelines = [cls.from_crawler(crawler) for cls in (ValidationPipeline, DeduplicationPipeline,
                                                       RevisionPipeline, JsonLinesWriterPipeline)]
    for pipeline in pipelines:
        item = pipeline.process_item(item, spider)
        assert "listing" not in item  # taken off by the first pipeline: Spidermon validates the rest
    pipelines[-1].spider_closed(spider, "finished")
    [output] = (tmp_path / "output").glob("the-cable-*.jsonl")
    assert "listing" not in json.loads(output.read_text("utf-8"))
    db = stored(tmp_path)
    assert db.execute("SELECT id, listing_signature FROM articles").fetchall() == [("fp-1100200", listed.signature)]
    # The next incremental run skips that entry without a request.
    next_run = get_crawler(Spider, {**INCREMENTAL, "CABLE_STATE_DIR": str(tmp_path / "state")})
    assert IncrementalCrawl.of(next_run).skip_reason(listed, "incremental", refresh_days=2) == "known"


# ------------------------------------------------------------------ one instance, found through Scrapy's API

def test_the_spider_and_the_pipelines_share_one_component_found_with_get_extension(tmp_path):
    settings = get_project_settings().copy_to_dict()
    settings.update({"CABLE_OUTPUT_DIR": str(tmp_path / "output"), "CABLE_STATE_DIR": str(tmp_path / "state")})
    settings.update(get_reactor_settings())  # whatever reactor (or none) this test process has
    # Scrapy builds the spider before the extensions (Crawler.crawl): the spider must not ask for the
    # component while it is built.
    early = Crawler(CableSpider, settings)
    CableSpider.from_crawler(early)
    with pytest.raises(RuntimeError, match="extension manager"):
        early.get_extension(IncrementalCrawl)

    crawler = get_crawler(CableSpider, settings)  # the project's EXTENSIONS and ITEM_PIPELINES
    crawler.spider = spider = CableSpider.from_crawler(crawler)
    crawler.engine = ExecutionEngine(crawler, lambda _: None)  # builds the pipelines, after the extensions
    component = crawler.get_extension(IncrementalCrawl)
    assert isinstance(component, IncrementalCrawl)
    assert spider.incremental is component
    for cls in (ValidationPipeline, DeduplicationPipeline, RevisionPipeline, JsonLinesWriterPipeline):
        assert crawler.get_item_pipeline(cls).incremental is component, cls.__name__
    assert crawler.get_item_pipeline(ValidationPipeline).rejects is component.rejects
    assert not any(name.startswith("_cable_") for name in vars(crawler))  # no side channel on the crawler


def test_a_crawl_without_the_component_says_what_is_missing(tmp_path):
    crawler = get_crawler(Spider, {"CABLE_STATE_DIR": str(tmp_path / "state")})
    with pytest.raises(RuntimeError, match="IncrementalCrawl is not in EXTENSIONS"):
        ValidationPipeline.from_crawler(crawler)


# ----------------------------------------------------------------------------- the state's lookups

# The lookup by URL as it was written before: one query with an OR across the join, which
# SQLite answers by reading every stored article. The oracle for what the indexed one returns.
_SCANNING_LOOKUP = ("SELECT a.id FROM articles a LEFT JOIN urls u ON u.id = a.id"
                    " WHERE a.url = ? OR u.url = ? LIMIT 1")


def written(article_id: str, url: str, *listing_urls: str) -> dict:
    return {"id": article_id, "url": BASE + url, "fingerprint": article_id * 4,
            "listing_urls": [BASE + u for u in listing_urls]}


@pytest.mark.parametrize("publications, lookup, expected", [
    ([[written("fp-1", "/a/")]], "/a/", "fp-1"),
    ([[written("fp-1", "/a/", "/listed-a/")]], "/listed-a/", "fp-1"),
    ([[written("fp-1", "/a/")]], "/b/", None),
    # The article moved to a new URL: found under both.
    ([[written("fp-1", "/a/")], [written("fp-1", "/a-moved/")]], "/a/", "fp-1"),
    ([[written("fp-1", "/a/")], [written("fp-1", "/a-moved/")]], "/a-moved/", "fp-1"),
    # Two articles claim one URL (one was listed under it, the other is written under it):
    # the one stored first, as the single query answered.
    ([[written("fp-1", "/a/", "/x/")], [written("fp-2", "/x/")]], "/x/", "fp-2"),
    ([[written("fp-2", "/x/")], [written("fp-1", "/a/", "/x/")]], "/x/", "fp-2"),
    ([[written("fp-1", "/a/"), written("fp-2", "/b/", "/a/")]], "/a/", "fp-1"),
    ([[written("fp-2", "/b/", "/a/")], [written("fp-1", "/a/")]], "/a/", "fp-1"),
])
def test_the_state_finds_an_article_by_any_url_it_was_written_or_reached_under(tmp_path, publications, lookup,
                                                                               expected):
    state = CrawlState(tmp_path / "state.sqlite3")
    for records in publications:
        state.record(records)
    known = state.get(url=BASE + lookup)
    assert (known.id if known else None) == expected
    oracle = state.db.execute(_SCANNING_LOOKUP, (BASE + lookup, BASE + lookup)).fetchone()
    assert (oracle[0] if oracle else None) == expected
    assert state.get("fp-unknown", BASE + lookup) == known  # an unknown id: the URL decides


def test_a_lookup_by_url_reads_no_whole_table(tmp_path):
    # Each new article is looked up three times (the index walk, deduplication, revision): a
    # lookup that read every stored article took 9 ms per new article of a 10,000-article state.
    from cable_crawler.incremental.state import _BY_URL

    state = CrawlState(tmp_path / "state.sqlite3")
    plan = [row[-1] for row in state.db.execute("EXPLAIN QUERY PLAN " + _BY_URL, ("u", "u"))]
    assert any(step.startswith("SEARCH") for step in plan), plan
    assert not [step for step in plan if step.startswith("SCAN")], plan
    scanning = [row[-1] for row in state.db.execute("EXPLAIN QUERY PLAN " + _SCANNING_LOOKUP, ("u", "u"))]
    assert any(step.startswith("SCAN") for step in scanning), scanning  # what this test tells apart
