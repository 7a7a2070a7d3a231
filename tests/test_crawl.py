"""End to end: `scrapy crawl cable` against the FP-shaped site on 127.0.0.1."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from cable_crawler.items import ARTICLE_FIELDS

SCHEMA = json.loads((Path(__file__).parent.parent / "schema" / "article.schema.json").read_text("utf-8"))
SEED_PATH = "/2016/08/04/un-nears-deal-on-humanitarian-pause-in-aleppo-but-what-comes-next/"
ARTICLE_PATHS = {
    "/2021/06/02/biden-putin-geneva-summit-expectations-arms-control-cyber/",
    "/2021/05/28/biden-budget-request-state-department-usaid-diplomacy/",
    "/2020/11/03/united-nations-diplomats-us-election-day/",
    SEED_PATH,
    "/2015/06/10/kerry-heads-to-vienna/",
    "/2014/12/09/un-record-humanitarian-appeal-2015/",
    "/2012/03/20/us-exempts-japan-and-10-eu-countries-from-iran-sanctions/",
}


def paths(site, articles) -> set[str]:
    return {a["url"][len(site.url):] for a in articles}


@pytest.fixture(scope="module")
def full_crawl(site, tmp_path_factory):
    from conftest import scrapy_crawl
    before = len(site.requests)
    result = scrapy_crawl(tmp_path_factory.mktemp("full") / "output", f"base_url={site.url}")
    result.requests = site.requests[before:]
    return result


def test_full_crawl_writes_every_article_once(site, full_crawl):
    assert full_crawl.returncode == 0, full_crawl.log[-3000:]
    articles = full_crawl.articles
    assert paths(site, articles) == ARTICLE_PATHS
    assert len(articles) == len(ARTICLE_PATHS)
    assert max(Counter(a["url"] for a in articles).values()) == 1
    assert max(Counter(a["id"] for a in articles).values()) == 1
    assert max(Counter(a["fingerprint"] for a in articles).values()) == 1


def test_every_line_is_a_valid_utf8_object_in_schema_key_order(full_crawl):
    [out] = list(full_crawl.output_dir.glob("the-cable-*.jsonl"))
    raw = out.read_bytes()
    assert raw.endswith(b"\n")
    text = raw.decode("utf-8")  # strict: fails on anything but UTF-8
    assert "\u2014" in text and "\\u2014" not in text  # real characters, not escapes
    validator = Draft202012Validator(SCHEMA)
    for line in text.splitlines():
        record = json.loads(line)
        assert list(record) == list(ARTICLE_FIELDS)
        assert list(validator.iter_errors(record)) == []
    assert not list(full_crawl.output_dir.glob("*.part"))  # nothing left half-written


def test_seed_article_is_normalized_in_the_output(site, full_crawl):
    [seed] = [a for a in full_crawl.articles if a["url"] == site.url + SEED_PATH]
    assert [a["name"] for a in seed["authors"]] == ["John Hudson"]
    assert seed["lead_image"]["credit"] == "Ibrahim Ebu Leys/Anadolu Agency/Getty Images"
    assert seed["lead_image"]["dateline"] == {"place": "Aleppo, Syria", "date": "2016-08-04"}
    assert seed["lead_image"]["caption"].startswith("Smoke rises")
    assert len(seed["images"]) == 1
    assert len(seed["body"]) == len(set(seed["body"]))
    assert not any("More from Foreign Policy" in p or "Heartbeat Away" in p for p in seed["body"])


def test_rejects_file_keeps_the_malformed_page_and_the_404_with_reasons(site, full_crawl):
    rejects = {r["url"][len(site.url):]: r for r in full_crawl.rejects}
    assert set(rejects) == {"/2015/01/15/state-department-briefing/", "/2016/03/01/removed-post-on-iran-talks/"}
    malformed = rejects["/2015/01/15/state-department-briefing/"]
    assert malformed["kind"] == "invalid_item"
    assert malformed["reasons"] == ["empty body (no article paragraphs found)"]
    assert malformed["item"]["headline"] == "State Department Briefing, Jan. 15, 2015"  # what was found is kept
    missing = rejects["/2016/03/01/removed-post-on-iran-talks/"]
    assert (missing["kind"], missing["reasons"], missing["item"]["status"]) == (
        "page_failure", ["article page: HTTP 404"], 404)


def test_crawl_follows_the_legacy_redirect_and_only_the_column_entries(site, full_crawl):
    requested = full_crawl.requests
    assert "/posts/2015/06/10/kerry_heads_to_vienna" in requested
    assert "/2015/06/10/kerry-heads-to-vienna/" in requested
    assert "/robots.txt" in requested
    assert not any("prague-to-czech" in r or "/author/" in r or "/tag/" in r for r in requested)
    # The tracking-parameter copy of article A is the same request after canonicalization.
    assert requested.count("/2021/06/02/biden-putin-geneva-summit-expectations-arms-control-cyber/") == 1
    assert not any("utm_source" in r for r in requested)
    index = [r for r in requested if r.startswith("/channel/the-cable/")]
    assert index == ["/channel/the-cable/", "/channel/the-cable/?results-page=2", "/channel/the-cable/?results-page=3"]


def test_end_of_crawl_summary(full_crawl):
    log = full_crawl.log
    assert "crawl finished (finished)" in log
    assert "articles written: 7" in log
    # C-2 (same post id as C) is either not fetched, when C was written first, or dropped as a duplicate.
    assert "duplicates: 1 (" in log
    assert "rejects: 2" in log
    assert "1 x empty_body" in log and "1 x article_page_http_404" in log


def test_since_stops_paging_once_a_page_is_older(site, crawl):
    before = len(site.requests)
    result = crawl(f"base_url={site.url}", "since=2021-01-01")
    requested = site.requests[before:]
    assert result.returncode == 0, result.log[-2000:]
    assert paths(site, result.articles) == {
        "/2021/06/02/biden-putin-geneva-summit-expectations-arms-control-cyber/",
        "/2021/05/28/biden-budget-request-state-department-usaid-diplomacy/",
    }
    assert "/channel/the-cable/?results-page=2" in requested  # page 1 still had new entries
    assert "/channel/the-cable/?results-page=3" not in requested  # page 2 held only older ones
    assert not any(r.startswith(("/2016/", "/2015/", "/2020/")) for r in requested)


def test_until_skips_newer_articles(site, crawl):
    result = crawl(f"base_url={site.url}", "since=2014-01-01", "until=2016-12-31")
    assert result.returncode == 0, result.log[-2000:]
    assert paths(site, result.articles) == {
        SEED_PATH, "/2015/06/10/kerry-heads-to-vienna/", "/2014/12/09/un-record-humanitarian-appeal-2015/",
    }


def test_max_pages_limits_the_index_walk(site, crawl):
    before = len(site.requests)
    result = crawl(f"base_url={site.url}", "max_pages=1")
    requested = site.requests[before:]
    assert result.returncode == 0
    assert "/channel/the-cable/?results-page=2" not in requested
    assert paths(site, result.articles) == {
        "/2021/06/02/biden-putin-geneva-summit-expectations-arms-control-cyber/",
        "/2021/05/28/biden-budget-request-state-department-usaid-diplomacy/",
        "/2020/11/03/united-nations-diplomats-us-election-day/",
    }


def test_urls_scrapes_only_those_articles(site, crawl):
    before = len(site.requests)
    result = crawl(f"base_url={site.url}",
                   f"urls={site.url}{SEED_PATH}?utm_source=rss,{site.url}/posts/2015/06/10/kerry_heads_to_vienna")
    requested = site.requests[before:]
    assert result.returncode == 0
    assert paths(site, result.articles) == {SEED_PATH, "/2015/06/10/kerry-heads-to-vienna/"}
    assert not any(r.startswith("/channel/") for r in requested)


def test_robots_txt_is_obeyed_and_the_skipped_page_is_reported(site, crawl):
    before = len(site.requests)
    result = crawl(f"base_url={site.url}", f"urls={site.url}/private/2016/01/01/secret/")
    assert result.returncode == 0
    assert not any(r.startswith("/private/") for r in site.requests[before:])
    [reject] = result.rejects
    assert reject["kind"] == "page_failure" and "robots.txt" in reject["reasons"][0]


@pytest.mark.parametrize("argument, message", [
    ("since=last-week", "since='last-week' is not an ISO date"),
    ("max_pages=-1", "max_pages='-1' must be 1 or more"),
    ("urls=https://example.com/2016/08/04/x/", "is not on the crawled site"),
    ("speed=turbo", "unknown argument(s): speed"),
    ("mode=turbo", "mode='turbo' is not one of: incremental, full"),
    ("refresh_days=-1", "refresh_days='-1' must be 0 or more"),
])
def test_bad_argument_fails_fast_with_one_line_and_no_request(site, crawl, argument, message):
    before = len(site.requests)
    result = crawl(f"base_url={site.url}", argument)
    assert result.returncode == 2
    errors = [line for line in result.log.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.log
    assert site.requests[before:] == []
    assert not result.output_dir.exists() or not list(result.output_dir.iterdir())


def test_scrapy_feed_options_still_work(site, crawl, tmp_path):
    feed = tmp_path / "feed.jsonl"
    result = crawl(f"base_url={site.url}", f"urls={site.url}{SEED_PATH}", settings={}, extra=["-O", str(feed)])
    assert result.returncode == 0, result.log[-2000:]
    [line] = feed.read_text("utf-8").splitlines()
    record = json.loads(line)
    assert list(record) == list(ARTICLE_FIELDS)
    assert record == result.articles[0]


@pytest.mark.parametrize("path, expected", [
    (SEED_PATH, "'name': 'John Hudson'"),
    ("/channel/the-cable/", "/channel/the-cable/?results-page=2"),
])
def test_scrapy_parse_shows_what_a_page_gives(site, tmp_path, path, expected):
    import subprocess
    import sys

    from conftest import REPO
    done = subprocess.run([sys.executable, "-m", "scrapy", "parse", "--spider=cable", "-a", f"base_url={site.url}",
                           "-a", "mode=full", "-s", "AUTOTHROTTLE_START_DELAY=0",
                           "-s", f"CABLE_OUTPUT_DIR={tmp_path / 'output'}", "-s", f"CABLE_STATE_DIR={tmp_path / 'state'}",
                           site.url + path],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert expected in done.stdout
    assert not (tmp_path / "output").exists()  # debugging a page writes no output file
