"""Hostile content: canonical links that lie, and text fields a page can poison
(script text in bylines, 10 MB lines, impossible dates, bidi controls).

Each defect class is crawled end to end (`scrapy crawl cable` against a server
on 127.0.0.1); the rules behind them have unit tables below.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from jsonschema import Draft202012Validator
from scrapy.http import HtmlResponse

from conftest import REPO, scrapy_crawl
from cable_crawler import settings
from cable_crawler.extraction.pages import markup
from cable_crawler.extraction.validation import problems, schema

pytestmark = pytest.mark.reliability

SCHEMA = json.loads((REPO / "schema" / "article.schema.json").read_text("utf-8"))
FAST = {"CABLE_RETRY_BACKOFF_BASE": 0.05, "DOWNLOAD_TIMEOUT": 20, "RETRY_TIMES": 1}


def page(headline: str, paragraphs: list[str], post_id: int, canonical: str | None = None,
         byline: str = "<a href='/author/robbie-gramer/' rel='author' class='author'>Robbie Gramer</a>",
         published: str = "2021-06-02") -> str:
    head = f"<link rel='canonical' href='{canonical}'>" if canonical else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>"
            f"<div id='main'><div class='post-content' data-post-id='{post_id}'><article class='article'>"
            f"<div class='feature-header-text'><span class='hed-heading'><h1 class='hed'>{headline}</h1></span>"
            f"<div class='meta-data'><address class='author-list'><span class='pre'>By</span> {byline}</address>"
            f"<time datetime='{published}' class='date-time'>June 2</time></div></div>"
            f"<div class='post-content-main'>{body}</div></article></div></div></body></html>")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0].split("#")[0]
        if path == "/channel/the-cable/":
            return self._send(200, self.server.index())
        if path in self.server.pages:
            return self._send(200, self.server.pages[path])
        self._send(404, b"<html>gone</html>")

    def _send(self, status: int, body: bytes):
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Site:
    """Serves `pages` (path -> HTML, {base} filled in) and a one-page column index listing them."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.server.pages = {}
        self.server.index = lambda: ("<html><body><div class='blog-list-layout'>" + "".join(
            f"<div class='excerpt-content--list'><a class='hed-heading -excerpt' href='{self.url}{path}'>"
            f"<h3 class='hed'>Entry {n}</h3></a></div>" for n, path in enumerate(self.server.pages))
            + "</div></body></html>").encode()

    def add(self, path: str, html: str) -> None:
        self.server.pages[path] = html.replace("{base}", self.url).encode("utf-8")

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def stat(log: str, name: str):
    """A stat's value from the crawl's stats dump (None when never set)."""
    for line in log.splitlines():
        if f"'{name}':" in line:
            return int(line.split(":", 1)[1].strip().rstrip(","))
    return None


def valid(records: list[dict]) -> list[dict]:
    validator = Draft202012Validator(SCHEMA)
    for record in records:
        assert list(validator.iter_errors(record)) == []
    return records


# ------------------------------------------------------------------------- canonical links, end to end

HOME_CANONICAL = [f"/2021/06/02/home-canonical-{n:02d}/" for n in range(20)]
ARTICLE_A, ARTICLE_B = "/2021/06/03/the-real-article-a/", "/2021/06/03/claims-to-be-a/"
OFFSITE = {"/2021/06/04/canonical-on-evil-host/": "https://evil.example.com/2021/06/04/stolen/",
           "/2021/06/05/canonical-on-other-port/": "http://127.0.0.1:{port}/2021/06/05/stolen/"}


@pytest.fixture(scope="module")
def canonical_crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("canonical")
    other = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # never contacted: only named by a canonical link
    with Site() as site:
        for n, path in enumerate(HOME_CANONICAL):
            # A common SEO-plugin bug: every post's canonical link is the home page.
            site.add(path, page(f"Distinct story {n}", [f"Paragraph of story number {n}."], 3000 + n,
                                canonical="{base}/"))
        site.add(ARTICLE_A, page("The real A", ["A's own text."], 4001, canonical="{base}" + ARTICLE_A))
        site.add(ARTICLE_B, page("Another story B", ["B's own text."], 4002, canonical="{base}" + ARTICLE_A))
        for n, (path, canonical) in enumerate(OFFSITE.items()):
            site.add(path, page(f"Off-site canonical {n}", [f"Text {n} of an off-site canonical page."], 5000 + n,
                                canonical=canonical.format(port=other.server_address[1])))
        # These pages have no dek nor lead image: no coverage rule for those two here.
        rules = {f: r for f, r in settings.SPIDERMON_FIELD_COVERAGE_RULES.items() if "dek" not in f and "lead" not in f}
        result = scrapy_crawl(tmp / "output", f"base_url={site.url}", "mode=full",
                              settings={**FAST, "SPIDERMON_FIELD_COVERAGE_RULES": json.dumps(rules)})
    other.server_close()
    return site.url, result


def test_canonical_links_to_the_home_page_are_ignored_and_every_article_is_written(canonical_crawl):
    base, result = canonical_crawl
    by_url = {r["url"]: r for r in valid(result.articles)}
    assert {base + path for path in HOME_CANONICAL} <= set(by_url)  # all 20, each under its fetched URL
    assert {by_url[base + path]["headline"] for path in HOME_CANONICAL} == {f"Distinct story {n}" for n in range(20)}
    assert stat(result.log, "cable/canonical_ignored") == 20 + 1 + 2  # home page x 20, B's, two off-site
    assert stat(result.log, "cable/duplicates") is None
    assert "canonical links ignored: 23" in result.log  # in the end-of-crawl summary
    assert result.returncode == 0


def test_a_canonical_link_naming_another_article_never_replaces_it(canonical_crawl):
    base, result = canonical_crawl
    by_url = {r["url"]: r for r in result.articles}
    assert by_url[base + ARTICLE_A]["headline"] == "The real A"
    assert by_url[base + ARTICLE_A]["body"] == ["A's own text."]
    assert by_url[base + ARTICLE_B]["headline"] == "Another story B"  # both written, each under its own URL
    assert f"{base}{ARTICLE_B}: canonical link '{base}{ARTICLE_A}' ignored (another page of this crawl)" in result.log


def test_an_off_site_canonical_link_never_becomes_the_url_or_id(canonical_crawl):
    base, result = canonical_crawl
    by_url = {r["url"]: r for r in result.articles}
    for n, path in enumerate(OFFSITE):
        record = by_url[base + path]
        assert record["headline"] == f"Off-site canonical {n}"
        assert record["id"] == f"fp-{5000 + n}"
    assert not [r for r in result.articles if "evil.example.com" in r["url"] or "stolen" in r["url"]]
    assert "ignored (not on the crawled site)" in result.log
    assert len(result.articles) == len(HOME_CANONICAL) + 2 + len(OFFSITE) and result.rejects == []


def test_an_abnormal_duplicate_ratio_fails_the_crawl(tmp_path):
    with Site() as site:
        for n in range(20):  # one article under 20 URLs: 19 duplicates of 20 read
            site.add(f"/2021/06/02/copy-{n:02d}/", page("One story", ["The same text."], 6000))
        result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", "mode=full", settings=FAST)
    assert len(result.articles) == 1
    assert stat(result.log, "cable/duplicates") == 19
    assert ("monitor failed: Duplicates/duplicates stay under CABLE_MAX_DUPLICATE_RATIO of the articles read: "
            "19 of 20 articles read were dropped as duplicates (95% > CABLE_MAX_DUPLICATE_RATIO=0.5)") in result.log
    assert result.returncode == 1
    # Each duplicate log line names the fetched URL that was dropped.
    copies = {f"{site.url}/2021/06/02/copy-{n:02d}/" for n in range(20)}
    for url in copies - {result.articles[0]["url"]}:
        assert f"duplicate: {url} (written as {url}) is the same article as " in result.log


def test_a_small_crawl_is_not_judged_on_its_duplicate_ratio(tmp_path):
    with Site() as site:
        for n in range(3):  # 2 duplicates of 3 read: under CABLE_DUPLICATE_RATIO_MIN_READ
            site.add(f"/2021/06/02/copy-{n:02d}/", page("One story", ["The same text."], 6000))
        result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", "mode=full", settings=FAST)
    assert len(result.articles) == 1 and stat(result.log, "cable/duplicates") == 2
    assert result.returncode == 0


# ------------------------------------------------------------------------- hostile text, end to end

SCRIPTED_BYLINE = ("<a href='/author/robbie-gramer/' rel='author' class='author'>Robbie Gramer"
                   "<script>var tracker = 'SCRIPT IN LINK';</script></a>"
                   "<script>document.write('Injected Byline Name')</script>"
                   "<noscript>Noscript Name</noscript><style>.byline { color: red }</style>"
                   "<template>Template Name</template>")
LONG_NAME = "Z" + "y" * 25_999
TEN_MB_LINE = ("lorem ipsum " * (10 * 1024 * 1024 // 12)).strip()
HOSTILE_TEXT = {
    "/2021/06/10/script-in-byline/": page("Scripted byline", ["Body of the scripted byline page."], 7001,
                                          byline=SCRIPTED_BYLINE),
    "/2021/06/11/long-author-name/": page("Long author name", ["Body of the long-name page."], 7002,
                                          byline=f"<a href='/author/x/' rel='author' class='author'>{LONG_NAME}</a>"),
    "/2021/06/12/ten-megabyte-line/": page("Ten megabyte line", [TEN_MB_LINE], 7003),
    # The only date on the page is implausible (no date in the URL either): rejected.
    "/undated/year-2999/": page("Year 2999", ["Body of the 2999 page."], 7004, published="2999-01-01"),
    "/undated/year-1900/": page("Year 1900", ["Body of the 1900 page."], 7005, published="1900-01-01"),
    "/undated/year-0001/": page("Year 0001", ["Body of the 0001 page."], 7006, published="0001-01-01"),
    # A placeholder date beside a real one (here the URL's): the plausible one is used.
    "/2021/06/13/placeholder-date/": page("Placeholder date", ["Body of the placeholder page."], 7008,
                                          published="0001-01-01"),
    "/2021/06/16/bidi-headline/": page("Safe \u202egnp.exe headline", ["Body of the bidi page."], 7007),
}


@pytest.fixture(scope="module")
def hostile_text_crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile-text")
    with Site() as site:
        for path, html in HOSTILE_TEXT.items():
            site.add(path, html)
        result = scrapy_crawl(tmp / "output", f"base_url={site.url}", "mode=full", settings=FAST)
    records = {r["url"][len(site.url):]: r for r in valid(result.articles)}
    rejects = {r["url"][len(site.url):]: r for r in result.rejects}
    assert set(records) | set(rejects) == set(HOSTILE_TEXT)  # every page: written, or rejected with reasons
    return records, rejects, result


def test_script_text_never_reaches_the_byline_or_authors(hostile_text_crawl):
    records, _, _ = hostile_text_crawl
    record = records["/2021/06/10/script-in-byline/"]
    assert record["byline"] == "By Robbie Gramer"
    assert [a["name"] for a in record["authors"]] == ["Robbie Gramer"]


@pytest.mark.parametrize("path, reason", [
    ("/2021/06/11/long-author-name/", "authors.0.name: 26000 characters, more than the limit of 200"),
    ("/2021/06/12/ten-megabyte-line/",
     f"body.0: {len(TEN_MB_LINE)} characters, more than the limit of 20000"),
])
def test_over_long_fields_are_rejected_with_the_field_and_its_length(hostile_text_crawl, path, reason):
    records, rejects, _ = hostile_text_crawl
    assert path not in records
    assert reason in rejects[path]["reasons"]
    assert all(len(r) < 400 for r in rejects[path]["reasons"])  # the size, never the value itself
    assert rejects[path]["item"]["headline"]  # the page is kept in the rejects file, untruncated


@pytest.mark.parametrize("path, reason", [
    ("/undated/year-2999/", "published_at: 2999-01-01T00:00:00+00:00 is after the crawl's clock"),
    ("/undated/year-1900/", "published_at: 1900-01-01T00:00:00+00:00 is before 1970-01-01"),
    ("/undated/year-0001/", "published_at: 0001-01-01T00:00:00+00:00 is before 1970-01-01"),
])
def test_implausible_dates_are_rejected(hostile_text_crawl, path, reason):
    records, rejects, _ = hostile_text_crawl
    assert path not in records
    assert any(r.startswith(reason) for r in rejects[path]["reasons"]), rejects[path]["reasons"]


def test_a_placeholder_date_gives_way_to_a_plausible_one(hostile_text_crawl):
    records, _, _ = hostile_text_crawl
    assert records["/2021/06/13/placeholder-date/"]["published_at"] == "2021-06-13T00:00:00+00:00"


def test_bidi_controls_are_stripped_from_the_headline(hostile_text_crawl):
    records, _, _ = hostile_text_crawl
    assert records["/2021/06/16/bidi-headline/"]["headline"] == "Safe gnp.exe headline"


# ------------------------------------------------------------------------- the rules, as tables

BASE = "https://foreignpolicy.com"


@pytest.mark.parametrize("canonical, fetched, other_pages, expected_url, expected_reason", [
    (None, f"{BASE}/2021/06/02/a/", (), f"{BASE}/2021/06/02/a/", None),
    (f"{BASE}/2021/06/02/a/", f"{BASE}/2021/06/02/a/?utm_source=x", (), f"{BASE}/2021/06/02/a/", None),
    ("https://www.foreignpolicy.com/2021/06/02/a/#top", f"{BASE}/2021/06/02/a/", (), f"{BASE}/2021/06/02/a/", None),
    # A canonical that is on the site and article-shaped is used (a republished copy names its original).
    (f"{BASE}/2021/06/01/original/", f"{BASE}/2021/06/02/copy/", (), f"{BASE}/2021/06/01/original/", None),
    ("http://thecable.foreignpolicy.com/posts/2013/05/02/under_slug", f"{BASE}/2013/05/02/under-slug/", (),
     "http://thecable.foreignpolicy.com/posts/2013/05/02/under_slug", None),
    # Everything else: the fetched URL, and why.
    (f"{BASE}/", f"{BASE}/2021/06/02/a/", (), f"{BASE}/2021/06/02/a/", "not an article URL"),
    (f"{BASE}/channel/the-cable/", f"{BASE}/2021/06/02/a/", (), f"{BASE}/2021/06/02/a/", "not an article URL"),
    (f"{BASE}/tag/iran/", f"{BASE}/2021/06/02/a/", (), f"{BASE}/2021/06/02/a/", "not an article URL"),
    (f"{BASE}/author/robbie-gramer/", f"{BASE}/2021/06/02/a/", (), f"{BASE}/2021/06/02/a/", "not an article URL"),
    ("https://evil.example.com/2021/06/02/a/", f"{BASE}/2021/06/02/a/", (), f"{BASE}/2021/06/02/a/",
     "not on the crawled site"),
    ("https://foreignpolicy.com.evil.example/2021/06/02/a/", f"{BASE}/2021/06/02/a/", (), f"{BASE}/2021/06/02/a/",
     "not on the crawled site"),
    ("http://127.0.0.1:9999/2021/06/02/a/", "http://127.0.0.1:8765/2021/06/02/a/", (),
     "http://127.0.0.1:8765/2021/06/02/a/", "not on the crawled site"),                       # another port
    ("javascript:alert(1)", f"{BASE}/2021/06/02/a/", (), f"{BASE}/2021/06/02/a/", "not an http(s) URL"),
    (f"{BASE}/2021/06/01/other/", f"{BASE}/2021/06/02/a/", {f"{BASE}/2021/06/01/other/"}, f"{BASE}/2021/06/02/a/",
     "another page of this crawl"),
])
def test_article_url(canonical, fetched, other_pages, expected_url, expected_reason):
    assert markup.article_url(canonical, fetched, BASE, other_pages) == (expected_url, expected_reason)


def test_article_url_without_a_base_url_uses_the_fetched_site():
    assert markup.article_url("http://127.0.0.1:9999/2021/06/02/a/", "http://127.0.0.1:8765/2021/06/02/b/") == (
        "http://127.0.0.1:8765/2021/06/02/b/", "not on the crawled site")
    assert markup.article_url("/2021/06/02/a/", "http://127.0.0.1:8765/2021/06/02/b/")[1] == "not an http(s) URL"


@pytest.mark.parametrize("html, expected", [
    ("<address>By <a>Robbie Gramer</a></address>", "By Robbie Gramer"),
    ("<address>By <a>Amy<script>x()</script> Mackinnon</a><script>document.write('Z')</script></address>",
     "By Amy Mackinnon"),
    ("<address>A<style>.a{}</style>B<noscript>N</noscript><template>T</template></address>", "AB"),
    ("<address>Line<br>break</address>", "Line break"),
])
def test_node_text_is_visible_text_only(html, expected):
    assert markup.node_text(markup.select(_root(html), "address")[0]) == expected


def test_node_text_of_a_node_inside_noscript_keeps_its_own_text():
    node = markup.select(_root("<noscript><p class='c'>Caption <b>text</b></p></noscript>"), "p.c")[0]
    assert markup.node_text(node) == "Caption text"


@pytest.mark.parametrize("html, expected", [
    ("<p>One.</p><h2>Two</h2><ul><li>Three</li></ul><blockquote>Four</blockquote>", ["One.", "Two", "Three", "Four"]),
    # junk and all it holds is left out, the text after it kept
    ("<p>Before <span class='caption'>junk <b>too</b></span>after.</p>", ["Before after."]),
    ("<div class='related-articles'><p>Teaser.</p><div class='caption'><p>Nested junk.</p></div></div><p>Kept.</p>",
     ["Kept."]),
    ("<figure><p>In a figure.</p></figure><p class='pull-quote'>Pulled.</p><p>Text.</p>", ["Text."]),
    # a block inside another block is its text, not a block of its own
    ("<ul><li>Item <p>with a paragraph</p></li></ul>", ["Item with a paragraph"]),
    # a blockquote that holds paragraphs gives them, one by one; its paragraphs in junk do not count
    ("<blockquote><p>Quoted one.</p><p>Quoted two.</p></blockquote>", ["Quoted one.", "Quoted two."]),
    ("<blockquote>Said <div class='caption'><p>junk</p></div>so.</blockquote>", ["Said so."]),
    # <br> is a space, script is no text
    ("<p>Line<br>break<script>x()</script></p>", ["Line break"]),
    ("<p>A<b>b<br></b>c</p><p>Plain <i>inline</i> text.</p><p>T<template>t</template><noscript>n</noscript>.</p>",
     ["Ab c", "Plain inline text.", "T."]),
])
def test_body_blocks_leave_out_junk_and_blocks_within_blocks(html, expected):
    container = markup.select(_root(f"<html><body><div class='entry-content'>{html}</div></body></html>"),
                              "div.entry-content")[0]
    assert markup.body_blocks(container) == expected


def test_code_is_body_junk():
    # body_blocks joins a block's text in C unless junk or a <br> lies below it: code must be junk.
    from cable_crawler.extraction.processors import NON_TEXT_TAGS
    assert set(NON_TEXT_TAGS) <= set(markup.BODY_JUNK)


def test_body_blocks_of_a_junk_container_are_none():
    container = markup.select(_root("<div class='entry-content caption'><p>Text.</p></div>"), "div.entry-content")[0]
    assert markup.body_blocks(container) == []


# junk_elements finds BODY_JUNK's class alternatives with one [class] query and a set: it must
# find what Lexbor's query of the whole group finds, where HTML's rules for class words differ
# from Python's (only ASCII whitespace splits them; quirks mode compares them without case).
_STANDARDS, _QUIRKS = "<!DOCTYPE html>", ""


@pytest.mark.parametrize("mode, value, is_junk", [
    (_STANDARDS, "caption", True),
    (_STANDARDS, "x caption y", True),
    (_STANDARDS, "Caption", False),              # standards mode: class words compare with case
    (_QUIRKS, "Caption", True),                  # quirks mode (no doctype): without
    (_QUIRKS, "CAPTION x", True),
    (_STANDARDS, "FP-paywall--login", True),     # a BODY_JUNK class written with capitals
    (_STANDARDS, "fp-paywall--login", False),
    (_QUIRKS, "fp-paywall--login", True),
    (_STANDARDS, "x&#12;caption", True),         # form feed and carriage return split words...
    (_STANDARDS, "x&#13;caption", True),
    (_STANDARDS, "x\tcaption\ny", True),
    (_STANDARDS, "x&#11;caption", False),        # ...a vertical tab, a no-break space do not
    (_QUIRKS, "x&#11;Caption", False),
    (_STANDARDS, "x&#xa0;caption", False),
    (_STANDARDS, "captions", False),
    (_STANDARDS, "wp-caption-text", True),
    (_STANDARDS, "sidebar-big-box-ad-3", True),  # [class*=sidebar-big-box-ad]: a part of the value
    (_STANDARDS, "", False),
])
def test_junk_elements_match_lexbor_on_class_words(mode, value, is_junk):
    root = _root(f"{mode}<html><body><div class='entry-content'><p>Kept.</p><p class=\"{value}\">J</p></div></body></html>")
    container = markup.select(root, "div.entry-content")[0]
    expected = {node.mem_id for node in markup.select(container, markup._BODY_JUNK)}
    found = [node.mem_id for node in markup.junk_elements(container)]
    assert set(found) == expected
    assert bool(found) is is_junk


def test_junk_elements_match_lexbor_on_every_saved_page():
    from cable_crawler.extraction.pages.layouts import article_page

    pages = sorted((REPO / "tests" / "pages").glob("*/*/page.html")) + sorted((REPO / "tests" / "site").glob("[12]*/**/index.html"))
    assert len(pages) > 20
    for path in pages:
        page = article_page(HtmlResponse(url="https://foreignpolicy.com/", body=path.read_bytes(), encoding="utf-8"))
        for container in (page.root, *markup.select(page.root, "div, article, section")):
            found = [node.mem_id for node in markup.junk_elements(container)]
            assert set(found) == {node.mem_id for node in markup.select(container, markup._BODY_JUNK)}, path


def _root(html: str):
    """The reader's tree of a page (markup.page_root)."""
    return markup.page_root(HtmlResponse(url="https://foreignpolicy.com/", body=html.encode("utf-8"), encoding="utf-8"))


def record(**overrides) -> dict:
    values = {
        "schema_version": schema()["properties"]["schema_version"]["const"], "id": "fp-1",
        "url": "https://foreignpolicy.com/2021/06/02/a/", "column": "The Cable", "access": "free", "headline": "A headline",
        "dek": None, "authors": [{"name": "Robbie Gramer", "url": None, "bio": None}], "byline": "By Robbie Gramer",
        "published_at": "2021-06-02T17:42:10+00:00", "modified_at": None, "dateline": None, "lead_image": None,
        "images": [], "body": ["Text."], "word_count": 1, "tags": [], "related": [], "fingerprint": "0" * 64,
        "revision": 1, "previous_fingerprint": None, "crawled_at": "2026-11-25T00:00:00+00:00",
    }
    return {**values, **overrides}


@pytest.mark.parametrize("overrides, expected", [
    ({}, []),
    ({"published_at": "2026-11-27T06:00:00-05:00"}, []),                      # within the 2 days' slack
    ({"published_at": "1970-01-01T00:00:00+00:00"}, []),                      # FP's founding year
    ({"published_at": "2026-11-28T00:00:00+00:00"},
     ["published_at: 2026-11-28T00:00:00+00:00 is after the crawl's clock (2026-11-25 + 2 days)"]),
    ({"published_at": "2999-01-01T00:00:00+00:00"},
     ["published_at: 2999-01-01T00:00:00+00:00 is after the crawl's clock (2026-11-25 + 2 days)"]),
    ({"published_at": "9999-12-31T23:00:00-05:00"},
     ["published_at: 9999-12-31T23:00:00-05:00 is after the crawl's clock (2026-11-25 + 2 days)"]),
    ({"published_at": "1969-12-31T23:59:59+00:00"},
     ["published_at: 1969-12-31T23:59:59+00:00 is before 1970-01-01 (Foreign Policy did not exist)"]),
    ({"published_at": "0001-01-01T00:00:00+05:00"},
     ["published_at: 0001-01-01T00:00:00+05:00 is before 1970-01-01 (Foreign Policy did not exist)"]),
    ({"modified_at": "1900-01-01T00:00:00+00:00"},
     ["modified_at: 1900-01-01T00:00:00+00:00 is before 1970-01-01 (Foreign Policy did not exist)"]),
    ({"headline": "H" * 501}, ["headline: 501 characters, more than the limit of 500"]),
    ({"dek": "D" * 1001}, ["dek: 1001 characters, more than the limit of 1000"]),
    ({"byline": "B" * 1001}, ["byline: 1001 characters, more than the limit of 1000"]),
    ({"authors": [{"name": "N" * 201, "url": None, "bio": None}]},
     ["authors.0.name: 201 characters, more than the limit of 200"]),
    ({"authors": [{"name": "N", "url": None, "bio": "b" * 3001}]},
     ["authors.0.bio: 3001 characters, more than the limit of 3000"]),
    ({"authors": [{"name": f"N{n}", "url": None, "bio": None} for n in range(251)]},
     ["authors: 251 items, more than the limit of 250"]),
    ({"url": "https://foreignpolicy.com/" + "a" * 2048}, ["url: 2074 characters, more than the limit of 2048"]),
    # Nullable fields (null or a bounded string): the bound is named all the same.
    ({"authors": [{"name": "N", "url": "https://foreignpolicy.com/" + "a" * 2048, "bio": None}]},
     ["authors.0.url: 2074 characters, more than the limit of 2048"]),
    ({"modified_at": None, "lead_image": None, "dek": None}, []),
    ({"body": ["x" * 20001]}, ["body.0: 20001 characters, more than the limit of 20000"]),
    ({"body": ["p"] * 5001}, ["body: 5001 items, more than the limit of 5000"]),
    ({"tags": ["t" * 201]}, ["tags.0: 201 characters, more than the limit of 200"]),
    ({"related": [{"headline": "h" * 501, "url": "https://foreignpolicy.com/2021/06/01/b/"}]},
     ["related.0.headline: 501 characters, more than the limit of 500"]),
    ({"images": [{"url": "https://foreignpolicy.com/a.jpg", "caption": "c" * 2001, "credit": "k" * 501,
                  "dateline": None}]},
     ["images.0.caption: 2001 characters, more than the limit of 2000",
      "images.0.credit: 501 characters, more than the limit of 500"]),
])
def test_problems_bound_lengths_and_dates(overrides, expected):
    assert problems(record(**overrides)) == expected


def test_problems_never_quote_a_huge_value():
    [reason] = problems(record(id="x" * 100_000))
    assert reason.startswith("id: 'xxx") and "does not match" not in reason and len(reason) < 400


def test_a_page_at_the_readers_author_limits_still_validates():
    """The page reader keeps at most PAGE_LIMITS["authors"] candidates from each of its five
    sources; the schema must accept that many, or a hostile page's cut item is lost."""
    schema = json.loads((REPO / "cable_crawler" / "schema" / "article.schema.json").read_text("utf-8"))
    assert markup.PAGE_LIMITS["author_candidates"] == 5 * markup.PAGE_LIMITS["authors"]
    assert schema["properties"]["authors"]["maxItems"] == markup.PAGE_LIMITS["author_candidates"]


def test_the_two_schema_paths_are_the_same_file():
    packaged = (REPO / "cable_crawler" / "schema" / "article.schema.json").read_bytes()
    assert (REPO / "schema" / "article.schema.json").read_bytes() == packaged
    assert json.loads(packaged)["x-schema-version"] == json.loads(packaged)["properties"]["schema_version"]["const"]


def test_a_later_crawl_never_makes_one_article_a_revision_of_another(tmp_path):
    """An article written by an earlier crawl keeps its URL: a new page whose canonical link
    names it (another post id, other content) is written under its own URL, as revision 1."""
    with Site() as site:
        site.add(ARTICLE_A, page("The real A", ["A's own text."], 4001, canonical="{base}" + ARTICLE_A))
        site.add(ARTICLE_B, page("Another story B", ["B's own text."], 4002, canonical="{base}" + ARTICLE_A))
        first = scrapy_crawl(tmp_path / "first", f"base_url={site.url}", f"urls={site.url}{ARTICLE_A}", settings=FAST)
        second = scrapy_crawl(tmp_path / "second", f"base_url={site.url}", f"urls={site.url}{ARTICLE_B}",
                              settings=FAST)
    assert [r["url"] for r in first.articles] == [site.url + ARTICLE_A]
    [b] = second.articles
    assert (b["url"], b["id"], b["headline"], b["revision"]) == (site.url + ARTICLE_B, "fp-4002", "Another story B", 1)
    assert stat(second.log, "cable/url_conflicts") == 1


def test_article_url_allows_the_page_itself_among_the_crawls_pages():
    pages = {f"{BASE}/2021/06/02/a/", f"{BASE}/2021/06/02/b/"}
    assert markup.article_url(f"{BASE}/2021/06/02/a/", f"{BASE}/2021/06/02/a/", BASE, pages) == (
        f"{BASE}/2021/06/02/a/", None)


def test_holds_spacing_or_code_agrees_with_the_lexbor_query_on_every_element():
    # Small nodes are looked at in Python, large ones asked of Lexbor: both must answer as the query.
    from saved_pages import saved_pages
    pages = [page.response() for page in saved_pages()] + [HtmlResponse(
        url="https://foreignpolicy.com/", encoding="utf-8", body=(
            "<div><p>a<!-- c --><b>b<br></b></p><svg><style>s</style><title>t</title></svg><template><br></template>"
            "<noscript><img></noscript><p>" + "<i>x</i>" * 11 + "<br></p><p>" + "<i>x</i>" * 12 + "<br></p>"
            "<p>" + "<i>x</i>" * 13 + "<br></p><p>" + "<i>x</i>" * 30 + "</p><SCRIPT>1</SCRIPT></div>").encode())]
    looked_at = 0
    for page in pages:
        for node in markup.select(markup.page_root(page), "*"):
            assert markup.holds_spacing_or_code(node) == (node.css_first(markup._SPACING_OR_NON_TEXT) is not None)
            looked_at += 1
    assert looked_at > 2000
