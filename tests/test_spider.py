"""The spider's own decisions, called directly with responses (no network)."""

import inspect
import subprocess
import sys
from types import SimpleNamespace
from datetime import date

import pytest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.settings import Settings
from scrapy.utils.misc import is_generator_with_return_value, warn_on_generator_with_return_value
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from conftest import INCREMENTAL, REPO, collect

from cable_crawler.items import ArticleItem, PageFailure
from cable_crawler.spiders.cable import CableSpider

INSIDER_PAGE = b"""<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="canonical" href="https://foreignpolicy.com/2023/03/01/insider-post/"></head>
<body class="single-post is-fp-insider postid-1100200">
<div class="hed-heading"><h1 class="hed">An Insider Post</h1></div>
<div class="author-bio-text">By <a href="https://foreignpolicy.com/author/amy-mackinnon/" rel="author">Amy Mackinnon</a></div>
<div class="content-ungated"><p>Subscribe to read the full story.</p></div>
<script type="application/ld+json">{"@context":"http://schema.org","@type":"NewsArticle",
 "headline":"SEO headline","datePublished":"2023-03-01T10:00:00-05:00",
 "Articlebody":"[caption id=\\"attachment_1\\"]<img src=\\"a.jpg\\"> A caption.[/caption]\\r\\n\\r\\nFirst paragraph of the post.\\r\\n\\r\\nSecond paragraph.\\r\\n\\r\\n[fp_related id=\\"4\\"]"}
</script></body></html>"""


@pytest.fixture
def spider(tmp_path):
    def make(**kwargs) -> CableSpider:
        crawler = get_crawler(CableSpider, {**INCREMENTAL, "CABLE_STATE_DIR": str(tmp_path / "state"),
                                            "CABLE_OUTPUT_DIR": str(tmp_path / "output")})
        return CableSpider.from_crawler(crawler, **kwargs)
    return make


def page(url: str, body: bytes) -> HtmlResponse:
    return HtmlResponse(url=url, body=body, request=Request(url))


def test_insider_post_body_comes_from_jsonld_articlebody(spider):
    response = page("https://foreignpolicy.com/2023/03/01/insider-post/", INSIDER_PAGE)
    [item] = collect(spider().parse_article(response))
    assert isinstance(item, ArticleItem)
    assert item["id"] == "fp-1100200"
    assert item["headline"] == "An Insider Post"
    assert item["body"] == ["First paragraph of the post.", "Second paragraph."]
    assert item["published_at"] == "2023-03-01T10:00:00-05:00"
    assert [a["name"] for a in item["authors"]] == ["Amy Mackinnon"]


def test_an_article_page_is_parsed_once(spider, monkeypatch):
    # The spider used to ask hasattr(response, "selector") to tell an HTML response: that
    # property parses the page (parsel, lxml.html) beside the page reader's own tree (Lexbor).
    import parsel.selector

    from cable_crawler.extraction.pages import markup
    parses = []

    def counting(original):
        def parse(*args, **kwargs):
            parses.append(original.__module__)
            return original(*args, **kwargs)
        return parse

    monkeypatch.setattr(parsel.selector, "create_root_node", counting(parsel.selector.create_root_node))
    monkeypatch.setattr(markup, "LexborHTMLParser", counting(markup.LexborHTMLParser))
    response = page("https://foreignpolicy.com/2023/03/01/insider-post/", INSIDER_PAGE)
    [item] = collect(spider().parse_article(response))
    assert item["headline"] == "An Insider Post"
    assert len(parses) == 1


def generator_methods(cls) -> list[str]:
    return sorted(name for name in dir(cls) if inspect.isgeneratorfunction(getattr(cls, name)))


@pytest.mark.parametrize("name", generator_methods(CableSpider))
def test_no_generator_callback_returns_a_value(spider, name):
    # What Scrapy's WARN_ON_GENERATOR_RETURN_VALUE checks at every response, which the
    # project's settings turn off (its cost): a `return value` in a generator is lost.
    assert not is_generator_with_return_value(getattr(spider(), name))


def test_the_callbacks_source_is_not_read_per_response(monkeypatch):
    # Scrapy's check parsed a generator callback's source (inspect.getsource, ast.parse) for
    # every page: its cache holds the bound method weakly, and each request brings a new one.
    # parse_index here: parse_article is an async generator, which the check leaves alone.
    read = []
    monkeypatch.setattr(inspect, "getsource", lambda obj: read.append(obj) or "")
    # The check reads only the spider's settings.
    for settings, reads in ((Settings(), 3), (get_project_settings(), 0)):
        read.clear()
        for _ in range(3):  # three responses, three requests' bound methods
            warn_on_generator_with_return_value(SimpleNamespace(settings=settings), CableSpider("cable").parse_index)
        assert len(read) == reads


def test_non_html_response_is_a_page_failure(spider):
    response = Response(url="https://foreignpolicy.com/2023/03/01/file/", status=200, body=b"%PDF-1.4",
                        headers={"Content-Type": "application/pdf"})
    [failure] = collect(spider().parse_article(response))
    assert isinstance(failure, PageFailure)
    assert failure["reason"] == "article page: not an HTML page (Content-Type: application/pdf)"


def test_unreadable_page_is_a_page_failure(spider, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("selector exploded")
    monkeypatch.setattr("cable_crawler.extraction.pages.article.article_page", broken)  # read_page looks it up there
    response = page("https://foreignpolicy.com/2023/03/01/x/", b"<html></html>")
    [failure] = collect(spider().parse_article(response))
    assert failure["reason"] == "article page: parse error: RuntimeError: selector exploded"


@pytest.mark.parametrize("since, until, expected", [
    (None, None, 1),
    ("2023-03-02", None, 0),
    (None, "2023-02-28", 0),
    ("2023-03-01", "2023-03-01", 1),
])
def test_articles_outside_the_window_are_skipped(spider, since, until, expected):
    response = page("https://foreignpolicy.com/2023/03/01/insider-post/", INSIDER_PAGE)
    kwargs = {k: v for k, v in {"since": since, "until": until}.items() if v}
    assert len(collect(spider(**kwargs).parse_article(response))) == expected


def test_index_requests_are_canonical_and_stay_in_window(spider):
    html = b"""<div class="blog-list-layout">
      <div class="excerpt-content--list" data-post-id="1"><a class="hed-heading -excerpt" href="/2023/03/01/a/?utm_source=x#c"><h3 class="hed">A</h3></a>
        <time datetime="2023-03-01">March 1</time></div>
      <div class="excerpt-content--list" data-post-id="2"><a class="hed-heading -excerpt" href="/2022/12/31/b/"><h3 class="hed">B</h3></a></div>
    </div><a class="next page-numbers" href="/channel/the-cable/?results-page=2">Next</a>"""
    response = HtmlResponse(url="https://foreignpolicy.com/channel/the-cable/", body=html,
                            request=Request("https://foreignpolicy.com/channel/the-cable/"))
    requests = list(spider(since="2023-01-01").parse_index(response, page=1))
    assert [r.url for r in requests] == ["https://foreignpolicy.com/2023/03/01/a/",
                                         "https://foreignpolicy.com/channel/the-cable/?results-page=2"]
    assert [r.callback.__name__ for r in requests] == ["parse_article", "parse_index"]
    assert requests[1].cb_kwargs == {"page": 2}
    # every entry older than since: no next page
    assert [r.url for r in spider(since="2023-06-01").parse_index(response, page=1)] == []
    assert spider(since="2023-06-01").args.since == date(2023, 6, 1)


def test_off_site_index_entries_are_counted_logged_and_not_followed(spider, caplog):
    """An index entry that links off the site is never requested: counted and logged, each
    in page order; the entries around it are followed as listed."""
    entries = [("1", "/2023/03/01/a/"), ("2", "https://elsewhere.example/2023/03/01/b/"), ("3", "/2023/03/01/c/"),
               ("4", "https://foreignpolicy.com.evil.example/2023/03/01/d/")]
    html = ('<div class="blog-list-layout">' + "".join(
        f'<div class="excerpt-content--list" data-post-id="{post}"><a class="hed-heading" href="{href}">'
        f'<h3 class="hed">{post}</h3></a><time datetime="2023-03-01">March 1</time></div>' for post, href in entries)
        + "</div>").encode()
    response = HtmlResponse(url="https://foreignpolicy.com/channel/the-cable/", body=html,
                            request=Request("https://foreignpolicy.com/channel/the-cable/"))
    crawl = spider()
    with caplog.at_level("WARNING"):
        requests = list(crawl.parse_index(response, page=1))
    assert [r.url for r in requests] == ["https://foreignpolicy.com/2023/03/01/a/", "https://foreignpolicy.com/2023/03/01/c/"]
    assert crawl.crawler.stats.get_value("cable/index_entries_offsite") == 2
    warnings = [r.getMessage() for r in caplog.records if "not followed" in r.getMessage()]
    assert len(warnings) == 2 and "elsewhere.example" in warnings[0] and "evil.example" in warnings[1]


def test_a_crawl_that_is_no_worker_never_imports_redis(tmp_path):
    # Redis's client (and scrapy-redis) took ~90 ms at every start of every crawl: the spider
    # imported the distributed coordinator to ask whether it is a worker.
    code = (
        "import sys\n"
        "from scrapy.utils.project import get_project_settings\n"
        "from scrapy.utils.test import get_crawler\n"
        "from cable_crawler.spiders.cable import CableSpider\n"
        "settings = get_project_settings()\n"
        f"settings.set('CABLE_STATE_DIR', {str(tmp_path / 'state')!r})\n"
        "crawler = get_crawler(CableSpider, {k: settings[k] for k in ('CABLE_STATE_DIR', 'ADDONS')})\n"
        "spider = CableSpider.from_crawler(crawler, base_url='http://127.0.0.1:1')\n"
        "assert spider.distributed is None\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('redis', 'scrapy_redis')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]", result.stdout
