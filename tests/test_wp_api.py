"""The WordPress REST API as a second source (-a source=html|api|both): real crawls of the
loopback site, whose WP REST replica (tests/fpsite.py) gives date_gmt in true UTC."""

from __future__ import annotations

import re

import pytest

from cable_crawler.crawl.args import ArgumentError, parse_args
from cable_crawler.crawl.wp_api import ApiMalformed, ApiPost, cross_check, parse_posts, utc_iso
from conftest import scrapy_crawl
from fpsite import FPSite
from test_crawl import ARTICLE_PATHS, paths

ARTICLE_A = "/2021/06/02/biden-putin-geneva-summit-expectations-arms-control-cyber/"


def run(tmp_path, site, *args, settings=None):
    before = len(site.requests)
    result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", "mode=full", *args, settings=settings)
    result.requests = site.requests[before:]
    return result


def by_path(site, result):
    return {a["url"][len(site.url):]: a for a in result.articles}


def api_requests(requests):
    return [r for r in requests if r.startswith("/wp-json/")]


def test_source_argument():
    assert parse_args().source == "both"
    assert parse_args(source="API").source == "api"
    with pytest.raises(ArgumentError, match="source='rss' is not one of: html, api, both"):
        parse_args(source="rss")


@pytest.mark.parametrize("item, post, corrected, disagreements", [
    # The page's Eastern wall time labelled +00:00: the API's date_gmt is the true UTC.
    ({"id": "fp-1", "published_at": "2021-06-02T17:42:10+00:00", "modified_at": None, "authors": [{"name": "A B"}]},
     ApiPost(1, "x", "2021-06-02T21:42:10+00:00", None, ("A B",)),
     {"published_at": ("2021-06-02T17:42:10+00:00", "2021-06-02T21:42:10+00:00")}, {}),
    # Agreeing: nothing to say (author order and case do not matter).
    ({"id": "fp-1", "published_at": "2021-06-02T21:42:10+00:00", "modified_at": "2021-06-03T13:15:00+00:00",
      "authors": [{"name": "A B"}, {"name": "c d"}]},
     ApiPost(1, "x", "2021-06-02T21:42:10+00:00", "2021-06-03T13:15:00+00:00", ("C D", "A B")), {}, {}),
    # Another id for the same link, other authors: disagreements, nothing corrected.
    ({"id": "fp-2", "published_at": "2021-06-02T21:42:10+00:00", "authors": [{"name": "A B"}]},
     ApiPost(1, "x", "2021-06-02T21:42:10+00:00", None, ("Z Z",)), {},
     {"id": ("fp-2", "fp-1"), "authors": (["A B"], ["Z Z"])}),
    # A page without a post id (url- hash) is no id disagreement; an API without authors says nothing.
    ({"id": "url-abc", "published_at": "2021-06-02T21:42:10+00:00", "authors": [{"name": "A B"}]},
     ApiPost(1, "x", "2021-06-02T21:42:10+00:00", None, ()), {}, {}),
])
def test_cross_check(item, post, corrected, disagreements):
    check = cross_check(dict(item), post)
    assert check.corrected == corrected
    assert check.disagreements == disagreements


def test_parse_posts_rejects_malformed_answers():
    assert utc_iso("2021-06-02T21:42:10") == "2021-06-02T21:42:10+00:00"
    [post] = parse_posts([{"id": 5, "link": "http://h/p/", "date_gmt": "2021-01-01T00:00:00",
                           "_embedded": {"author": [{"name": " Jo  Ann "}]}}])
    assert post.authors == ("Jo Ann",) and post.modified_gmt is None
    for bad in ({"posts": []}, [{"id": "5", "link": "x"}], [{"id": 5}], [{"id": 5, "link": "x", "date_gmt": "soon"}]):
        with pytest.raises(ApiMalformed):
            parse_posts(bad)


def test_both_finds_the_index_articles_and_corrects_dates_to_utc(tmp_path, site):
    result = run(tmp_path, site, settings={"LOG_LEVEL": "DEBUG"})  # the corrected values are logged at DEBUG
    assert result.returncode == 0, result.log[-3000:]
    articles = by_path(site, result)
    assert set(articles) == ARTICLE_PATHS
    a = articles[ARTICLE_A]
    # JSON-LD: "2021-06-02T17:42:10+00:00" (Eastern wall time, mislabelled); EDT is UTC-4.
    assert a["published_at"] == "2021-06-02T21:42:10+00:00"
    assert a["modified_at"] == "2021-06-03T13:15:00+00:00"
    assert "published_at=2021-06-02T21:42:10+00:00" in result.log and "the page said published_at=2021-06-02T17:42:10" in result.log
    assert "'cable/api/date_corrected'" in result.log
    # Every article page read is cross-checked: 9, or 8 when C-2 is recognised in the index as
    # C's duplicate before it is fetched (timing). All but two are corrected: article D's page and
    # the truncated page already carry the API's UTC times.
    [(checked, corrected)] = re.findall(r"  WordPress API: (\d+) article pages cross-checked, (\d+) dates corrected"
                                        r" to UTC, 0 disagreements", result.log)
    pages_read = sum(int(n) for n in re.findall(r"'cable/layout/\w+': (\d+)", result.log))
    assert int(checked) == pages_read in (8, 9)
    assert int(corrected) == pages_read - 2
    assert any(r.startswith("/wp-json/wp/v2/posts?categories=") for r in result.requests)
    assert any(r.startswith("/channel/the-cable/") for r in result.requests)
    assert "WordPress REST API: page 1 of 1 (X-WP-TotalPages): stop reading the API (last_page)" in result.log


def test_api_alone_finds_the_articles_without_the_index(tmp_path, site):
    result = run(tmp_path, site, "source=api")
    assert result.returncode == 0, result.log[-3000:]
    assert not [r for r in result.requests if r.startswith("/channel/")]
    # The API lists published posts only: not the removed one the index still links (404).
    assert paths(site, result.articles) == ARTICLE_PATHS
    assert by_path(site, result)[ARTICLE_A]["published_at"] == "2021-06-02T21:42:10+00:00"


def api_paged(tmp_path, site):
    before = len(site.requests)
    result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", "mode=full", "source=api",
                          settings={"CABLE_WP_API_PER_PAGE": 3})
    result.requests = site.requests[before:]
    assert result.returncode == 0, result.log[-3000:]
    assert paths(site, result.articles) == ARTICLE_PATHS
    return result


def test_api_pages_until_x_wp_totalpages(tmp_path, site):
    # 3 posts a page: the replica has 8 posts on 3 pages; X-WP-TotalPages ends the paging.
    result = api_paged(tmp_path, site)
    assert len([r for r in api_requests(result.requests) if "/posts?" in r]) == 3
    assert "page 3 of 3 (X-WP-TotalPages): stop reading the API (last_page)" in result.log


def test_api_pages_until_400_past_the_last_page(tmp_path):
    with FPSite(api_totals=False) as site:
        result = api_paged(tmp_path, site)
    assert len([r for r in api_requests(result.requests) if "/posts?" in r]) == 4
    assert ("page 4 answered HTTP 400 (rest_post_invalid_page_number): stop reading the API (past_last_page)"
            in result.log)


def test_html_reads_no_api_url_and_keeps_the_page_dates(tmp_path, site):
    result = run(tmp_path, site, "source=html")
    assert result.returncode == 0, result.log[-3000:]
    assert api_requests(result.requests) == []
    assert by_path(site, result)[ARTICLE_A]["published_at"] == "2021-06-02T17:42:10+00:00"


@pytest.mark.parametrize("fault", [401, 403, 404, 500, "malformed", "no-term"])
def test_api_failure_is_one_warning_and_the_html_crawl_completes(tmp_path, fault):
    with FPSite(api_fault=fault) as site:
        result = run(tmp_path, site)
    assert result.returncode == 0, result.log[-3000:]
    warnings = [line for line in result.log.splitlines() if "WordPress REST API unavailable" in line]
    assert len(warnings) == 1 and "WARNING" in warnings[0]
    assert paths(site, result.articles) == ARTICLE_PATHS
    assert by_path(site, result)[ARTICLE_A]["published_at"] == "2021-06-02T17:42:10+00:00"


def test_api_failure_with_source_api_falls_back_to_the_index(tmp_path):
    with FPSite(api_fault=403) as site:
        result = run(tmp_path, site, "source=api")
    assert result.returncode == 0, result.log[-3000:]
    assert paths(site, result.articles) == ARTICLE_PATHS


def test_author_disagreement_is_counted_and_logged_and_the_page_wins(tmp_path):
    with FPSite(api_authors={1046321: ["Someone Else"]}) as site:
        result = run(tmp_path, site)
    assert result.returncode == 0, result.log[-3000:]
    a = by_path(site, result)[ARTICLE_A]
    assert [x["name"] for x in a["authors"]] == ["Robbie Gramer", "Amy Mackinnon"]
    assert "'cable/api/disagreements/authors': 1" in result.log
    assert "the page and the API disagree on authors" in result.log and "Someone Else" in result.log
