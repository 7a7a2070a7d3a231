"""-a channel=<slug>: any FP channel with the same readers (issue 11).

The loopback site has a second channel, /channel/situation-report/ (two articles,
tests/site/FIXTURES.md); /channel/<anything else>/ answers 404."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from cable_crawler.crawl.args import ArgumentError, arguments_help, parse_args
from cable_crawler.incremental.outputs import OutputPathError, file_name
from cable_crawler.spiders.cable import CableSpider, channel_name
from conftest import scrapy_crawl

SITREP = {"/2021/07/01/pentagon-afghanistan-withdrawal-bagram/", "/2021/06/24/navy-shipbuilding-budget-fleet-size/"}


def lines(output_dir: Path, pattern: str) -> list[dict]:
    return [json.loads(line) for f in sorted(output_dir.glob(pattern)) for line in f.read_text("utf-8").splitlines()]


# -- the argument ----------------------------------------------------------------------------------------------

def test_channel_argument_defaults_to_the_cable_and_is_listed():
    assert parse_args().channel == "the-cable"
    assert parse_args(channel="situation-report").channel == "situation-report"
    assert "-a channel=" in arguments_help() and "(default: the-cable)" in arguments_help()


@pytest.mark.parametrize("slug", ["Situation-Report", "situation--report", "-x", "x-", "a/b", "../x", "a b",
                                  "situation_report", "é"])
def test_channel_must_be_a_slug(slug):
    with pytest.raises(ArgumentError, match="is not a channel slug"):
        parse_args(channel=slug)


def test_channel_names():
    assert channel_name("the-cable") == "The Cable"
    assert channel_name("situation-report") == "Situation Report"
    assert channel_name("africa-brief") == "Africa Brief"
    assert channel_name("some-new-channel") == "Some New Channel"  # not in the table: its words


# -- the file name ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("template, channel, expected", [
    ("{channel}-{stamp}.jsonl", "the-cable", "the-cable-S.jsonl"),
    ("{channel}-{stamp}.jsonl", "situation-report", "situation-report-S.jsonl"),
    ("the-cable-{stamp}.jsonl", "situation-report", "the-cable-S.jsonl"),   # a fixed template stays fixed
    ("{channel}.jsonl", "the-cable", OutputPathError),                    # {stamp} still required
    ("{channel!r}-{stamp}.jsonl", "the-cable", OutputPathError),
    ("{channel.x}-{stamp}.jsonl", "the-cable", OutputPathError),
    ("{channel:>40}-{stamp}.jsonl", "the-cable", OutputPathError),
    ("{channel}-{stamp}.jsonl", "../x", OutputPathError),                   # never anything but a slug
    ("{channel}-{stamp}.jsonl", ".hidden", OutputPathError),
])
def test_file_name_channel_field(template, channel, expected):
    if expected is OutputPathError:
        with pytest.raises(OutputPathError):
            file_name("CABLE_JSONL_FILE", template, "S", channel)
    else:
        assert file_name("CABLE_JSONL_FILE", template, "S", channel) == expected


# -- the channel page's title ----------------------------------------------------------------------------------

def spider(**args) -> CableSpider:
    crawler = get_crawler(CableSpider)
    return CableSpider.from_crawler(crawler, **args)


def test_channel_page_title_that_differs_is_a_warning_not_the_column(caplog):
    sitrep = spider(channel="situation-report")
    assert sitrep.column == "Situation Report"
    assert sitrep.index_url == "https://foreignpolicy.com/channel/situation-report/"
    page = HtmlResponse(sitrep.index_url, body=b'<h1 class="channel-title">SitRep </h1>', encoding="utf-8")
    sitrep.check_channel_title(page)
    assert sitrep.crawler.stats.get_value("cable/channel_title_differs") == "SitRep"
    assert "the channel page's title is 'SitRep', the column written is 'Situation Report'" in caplog.text
    assert sitrep.column == "Situation Report"
    same = HtmlResponse(sitrep.index_url, body=b'<h1 class="channel-title">Situation Report</h1>', encoding="utf-8")
    fresh = spider(channel="situation-report")
    fresh.check_channel_title(same)
    assert fresh.crawler.stats.get_value("cable/channel_title_differs") is None


# -- real crawls -----------------------------------------------------------------------------------------------

def test_another_channel_crawls_its_own_index_into_its_own_file(site, tmp_path):
    before = len(site.requests)
    result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", "channel=situation-report")
    requests = site.requests[before:]
    assert result.returncode == 0, result.log[-3000:]
    articles = lines(tmp_path / "output", "situation-report-*.jsonl")
    assert {a["url"][len(site.url):] for a in articles} == SITREP
    assert {a["column"] for a in articles} == {"Situation Report"}
    assert not list((tmp_path / "output").glob("the-cable-*"))
    assert "/channel/situation-report/" in requests
    assert not [r for r in requests if "the-cable" in r], requests
    assert "channel_title_differs" not in result.log


def test_walks_stay_with_their_channel(site, tmp_path):
    """One crawl state for all channels: the-cable's unfinished walk (max_pages=1) is not continued by a
    situation-report run, and is still there for the next the-cable run."""
    first = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", "max_pages=1")
    assert first.returncode == 0, first.log[-3000:]
    assert first.articles and {a["column"] for a in first.articles} == {"The Cable"}  # the default, unchanged
    db = tmp_path / "state" / "cable-state.sqlite3"
    walks = sqlite3.connect(db).execute("SELECT url FROM walks").fetchall()
    assert walks and all("/channel/the-cable/" in url for url, in walks)
    before = len(site.requests)
    second = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", "channel=situation-report")
    requests = site.requests[before:]
    assert second.returncode == 0, second.log[-3000:]
    assert not [r for r in requests if "the-cable" in r], requests
    assert "continuing the archive walk" not in second.log
    assert sqlite3.connect(db).execute("SELECT url FROM walks").fetchall() == walks


def test_bad_channel_slug_is_refused_before_any_request(site, tmp_path):
    before = len(site.requests)
    result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", "channel=../the-cable")
    assert result.returncode == 2
    errors = [line for line in result.log.splitlines() if "error" in line.lower()]
    assert errors == ["scrapy crawl cable: error: channel='../the-cable' is not a channel slug (lowercase letters, "
                      "digits and single hyphens, e.g. situation-report)"]
    assert site.requests[before:] == []


def test_unknown_channel_is_one_line_and_exit_2(site, tmp_path):
    before = len(site.requests)
    result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", "channel=no-such-channel")
    requests = site.requests[before:]
    assert result.returncode == 2, result.log[-3000:]
    expected = (f"scrapy crawl cable: error: unknown channel: no-such-channel "
                f"({site.url}/channel/no-such-channel/ answered 404)")
    assert result.log.splitlines()[-1] == expected
    assert [line for line in result.log.splitlines() if line.startswith("scrapy crawl")] == [expected]
    # With the default source=both, the API's category lookup comes first (and finds none).
    assert [r for r in requests if r != "/robots.txt"] == ["/wp-json/wp/v2/categories?slug=no-such-channel",
                                                           "/channel/no-such-channel/"]
    assert not list((tmp_path / "output").glob("no-such-channel-*"))  # no articles file
    [reject] = lines(tmp_path / "output", "rejects-*.jsonl")  # the failed page, as for any page
    assert reject["url"] == f"{site.url}/channel/no-such-channel/" and "HTTP 404" in json.dumps(reject)


def test_failed_articles_are_retried_by_their_own_channels_runs_only(tmp_path):
    """One crawl state for all channels: an article that failed in a the-cable run is not
    requested by a situation-report run (it would be written with that channel's column),
    and is retried by the next the-cable run; rows from before channels existed count as
    the-cable's."""
    from faultsite import FaultySite

    article = "/2014/12/09/un-record-humanitarian-appeal-2015/"  # Article E, on the-cable's page 3
    settings = {"RETRY_TIMES": 1, "CABLE_RETRY_BACKOFF_BASE": 0.01}
    with FaultySite(fault_rate=0.0, always={article: "503"}) as site:
        first = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", settings=settings)
        db = tmp_path / "state" / "cable-state.sqlite3"
        assert sqlite3.connect(db).execute("SELECT url, channel FROM failures").fetchall() == [
            (site.url + article, "the-cable")]
        del site.httpd.RequestHandlerClass.always[article]  # the site serves it again
        attempts = dict(site.fault_log["attempts"])
        other = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", "channel=situation-report",
                             settings=settings)
        assert other.returncode == 0, other.log[-3000:]
        assert site.fault_log["attempts"].get(article) == attempts.get(article)  # not requested
        assert {a["column"] for a in lines(tmp_path / "output", "situation-report-*.jsonl")} == {"Situation Report"}
        again = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", settings=settings)
    assert first.returncode == 0 and again.returncode == 0, again.log[-3000:]
    written = [a for a in lines(tmp_path / "output", "the-cable-*.jsonl") if a["url"] == site.url + article]
    assert [a["column"] for a in written] == ["The Cable"]
    assert sqlite3.connect(db).execute("SELECT url FROM failures").fetchall() == []


def test_failure_rows_from_before_channels_are_the_cables(tmp_path):
    from cable_crawler.incremental.state import CrawlState

    db = tmp_path / "cable-state.sqlite3"
    old = sqlite3.connect(db)  # a state written before the channel column existed
    old.execute("CREATE TABLE failures (url TEXT PRIMARY KEY, runs INTEGER NOT NULL, status INTEGER,"
                " reason TEXT NOT NULL, listing_url TEXT, listing_signature TEXT, first_failed_at TEXT NOT NULL,"
                " last_failed_at TEXT NOT NULL, given_up_at TEXT)")
    old.execute("INSERT INTO failures VALUES ('https://foreignpolicy.com/2020/01/01/a/', 1, 503, 'HTTP 503',"
                " NULL, NULL, 'x', 'x', NULL)")
    old.commit()
    old.close()
    state = CrawlState(db)
    assert [f.url for f in state.unresolved(10, "the-cable")] == ["https://foreignpolicy.com/2020/01/01/a/"]
    assert state.unresolved(10, "situation-report") == []
