"""Property-based (fuzz) tests with Hypothesis: nothing FP can serve makes the
crawler raise or write an invalid record.

1. Processors: every text-taking function in cable_crawler.extraction.processors never
   raises on arbitrary Unicode (control characters, RTL, combining marks,
   entities, mojibake, very long strings) and keeps its output invariants.
2. Page readers: the real fixture pages in tests/site, mutated byte-wise
   (slices deleted, duplicated, swapped, truncated; tags, attributes, text and
   invalid UTF-8 inserted; attribute values replaced), go through
   CableSpider.parse_article and parse_index.
3. Random HTML from FP's tag and class vocabulary (articles and column index
   pages) goes through parse_article and parse_index.

A failing mutated page prints as replay(fixture, edits): call replay() from this
module to get the same page back. Everything runs in memory (HtmlResponse with a
Request attached, no network); runs are derandomized, so CI sees the same
examples every time.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from conftest import INCREMENTAL, collect

from cable_crawler.extraction import processors as p
from cable_crawler.extraction.pages import markup
from cable_crawler.extraction.boundary import same_site
from cable_crawler.items import ArticleItem, PageFailure
from cable_crawler.spiders.cable import CableSpider
from cable_crawler.extraction.validation import problems, record, schema

pytestmark = pytest.mark.reliability

SITE = Path(__file__).resolve().parent / "site"
HOST = "foreignpolicy.com"
BASE = f"https://{HOST}"


def fuzz_settings(max_examples: int):
    # report_multiple_bugs=False and no explain phase: one shrunk example per failing test keeps
    # a red run under a minute (the explain phase re-runs the test and renders strategy reprs).
    return settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                    print_blob=False, report_multiple_bugs=False,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.large_base_example])


FAST = fuzz_settings(300)
PAGES = fuzz_settings(300)

# =========================================================================== text strategies

# Surrogates are excluded: they cannot come out of a decoded page.
CHARS = st.characters(exclude_categories=("Cs",))

# Fragments that real FP text and markup carry, and that random code points rarely hit.
SPECIAL = [
    # control, invisible and space characters
    "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\x85", "\u00a0", "\u2028", "\u2029", "\u3000",
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\t", "\r\n", "\n\n", "  ",
    # right-to-left text and direction marks
    "\u202e", "\u202b", "\u200f", "\u200e", "\u0645\u0631\u062d\u0628\u0627", "\u05e9\u05dc\u05d5\u05dd",
    # combining marks and characters whose case mapping changes their length
    "\u0301", "\u0308", "\u0327", "\u20dd", "e\u0301", "\u0130", "\u00df", "\ufb01", "\u03a3", "\u0149",
    "\u00b2", "\u0661\u0662", "\u2167",
    # entities, tags and shortcodes
    "&amp;", "&nbsp;", "&lt;", "&gt;", "&quot;", "&#8217;", "&#x2014;", "&#0;", "&#x110000;", "&#55296;",
    "&bogus;", "&", "amp;", "&amp;amp;", "&amp;lt;b&amp;gt;", "&amp;#8217;",  # last three: double-escaped
    "<", ">", "<p>", "</p>", "<br>", "<b>", "<!--", "-->", "<![CDATA[",
    "[caption id=\"a\"]", "[/caption]", "[gallery]", "[fp_related id=\"4\"]", "[embed]", "[/embed]",
    # bylines, bios, captions, datelines, boilerplate
    "By ", "BY ", "by", " and ", ", ", " & ", " | ", ", a staff writer at Foreign Policy", " is ", " was ",
    "Colum Lynch", "ELIAS GROLL", "Omar G. Encarnaci\u00f3n", "(Photo by Ibrahim Ebu Leys/Getty Images)",
    "(AFP)", "[Reuters]", "Photo by ", "ALEPPO, SYRIA - AUGUST 4: ", "WASHINGTON, D.C. \u2014 ",
    "KABUL, AFGHANISTAN \u2014 SEPT. 1: ", "UNITED NATIONS ", "PORT-AU-PRINCE", "N'DJAMENA", " \u2014 ",
    " \u2013 ", "-", "(", ")", "[", "]", "2016", "1999", "31", "588143_090227_boxes5.jpg", ".jpg", ".PNG",
    "Read More", "Subscribe", "Advertisement", " | Foreign Policy", " - Foreign Policy",
    "\u201c", "\u201d", "\u2019", "\u2026",
    # mojibake (UTF-8 read as cp1252), once and twice
    "\u00e2\u20ac\u2122", "\u00c3\u00a9", "It\u00e2\u20ac\u2122s", "\u00c3\u0192\u00c2\u00a9",
    "\u00c3\u00a2\u00e2\u201a\u00ac\u00e2\u201e\u00a2",
    # URL-ish pieces
    "http://", "https://", "www.", "/", ":", "?", "#", "=", "%", "%20", "utm_source=x", "/amp/", "//", "\\",
]


def named(name: str, strategy: st.SearchStrategy) -> st.SearchStrategy:
    """The same strategy, whose repr is just `name()`: see pick()."""
    def draw_it(draw):
        return draw(strategy)

    draw_it.__name__ = draw_it.__qualname__ = name
    return st.composite(draw_it)()


def pick(values) -> st.SearchStrategy:
    """sampled_from(values), with a short repr: Hypothesis renders the repr of nested
    strategies while validating them, and long literal lists would make that 100 kB."""
    values = tuple(values)

    def picked(index: int):
        return values[index]

    return st.integers(0, len(values) - 1).map(picked)


CHUNK = st.one_of(st.text(CHARS, max_size=12), pick(SPECIAL))
SHORT_TEXT = named("short_text", st.lists(CHUNK, max_size=10).map("".join))
LONG_TEXT = st.builds(lambda s, n: (s * n)[:10_000], st.lists(CHUNK, min_size=1, max_size=4).map("".join).filter(bool),
                      st.integers(200, 4000))
# A small alphabet of pieces that interact (invisible + combining characters, Hangul jamo,
# entity syntax), so that Hypothesis puts them next to each other often.
DENSE_TEXT = st.lists(st.sampled_from([
    "a", "e", "E", " ", ".", "-", "&", ";", "#", "amp;", "&amp;", "lt;", "\u200b", "\u00ad", "\u2060", "\ufeff",
    "\u0301", "\u0327", "\u00a0", "\u2028", "\x85", "\u1100", "\u1161", "\u202e"]), max_size=16).map("".join)
TEXT = named("text", st.one_of(SHORT_TEXT, DENSE_TEXT, LONG_TEXT))
MAYBE_TEXT = st.one_of(st.none(), TEXT)
TEXTS = st.lists(TEXT, max_size=8)

# Patterns of schema/article.schema.json: ^(fp-[0-9]+|url-[0-9a-f]{20})$ and the ISO 8601 datetime.
ISO_DATETIME_RE = re.compile(schema()["$defs"]["iso_datetime"]["pattern"])
ARTICLE_ID_RE = re.compile(schema()["properties"]["id"]["pattern"])

# ------------------------------------------------------------------ dates

ISO_LIKE = named("iso_like", st.builds(
    lambda y, m, d, sep, t, tz: f"{y:04d}-{m:02d}-{d:02d}" + (f"{sep}{t}{tz}" if t else ""),
    st.integers(1, 9999), st.integers(0, 13), st.integers(0, 32), st.sampled_from(["T", " ", "t"]),
    st.one_of(st.just(""), st.builds(lambda h, mi, s: f"{h:02d}:{mi:02d}:{s:02d}",
                                     st.integers(0, 24), st.integers(0, 60), st.integers(0, 60)),
              st.sampled_from(["13:48", "13:48:00.123456", "13", "1348"])),
    st.one_of(st.sampled_from(["", "Z", "+00:00", "-05:00", "+0530", "-0400"]),
              st.sampled_from(["z", "+05:30:15", "+05:30:15.5", "-00:00:01", "+23:59", "+24:00", "UTC", " +00:00"])),
))
_DATE_TEXT = st.one_of(
    ISO_LIKE,
    st.integers(0, 99_999_999_999).map(str),                      # epoch seconds
    st.sampled_from(["2016-08-04T13:48:00Z", "20210529", "2021-W01-1", "2021-05-29T13:18:04+00:00",
                     "August 4, 2016", "1622294284", "0", "-1"]),
    SHORT_TEXT,
)
DATE_TEXT = named("date_text", _DATE_TEXT)

# ------------------------------------------------------------------ URLs

# Tokens canonical_url treats specially ("www." hosts, "/amp/" and "/posts/" paths) come up often.
HOST_LABEL = st.one_of(
    st.sampled_from(["www", "WWW", "foreignpolicy", "thecable", "com"]),
    st.sampled_from(["ForeignPolicy", "org", "example", "xn--bcher-kva", "m\u00fcller", "127", "0", "1", "co", "amp"]),
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True),
)
VALID_HOST = st.lists(HOST_LABEL, min_size=1, max_size=4).map(".".join)
URL_SAFE = st.characters(codec="utf-8", exclude_characters="#?/\\@[]:% \t\r\n\x00",
                         exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"))
PATH_SEGMENT = st.one_of(
    st.sampled_from(["amp", "AMP", "posts", "2016", "08", "04", "slug", "a.jpg", ""]),
    st.sampled_from(["2021", "13", "index.html", ".", "..", "%20", "%2F", "un-nears-deal", "kerry_heads_to_vienna",
                     "x.y.z", "&amp;"]),
    st.text(URL_SAFE, max_size=10),
)
QUERY_KEY = st.one_of(st.sampled_from(list(p.TRACKING_PARAMS) + ["p", "results-page", "q", "UTM_SOURCE", "a"]),
                      st.text(URL_SAFE.filter(lambda c: c not in "&="), max_size=6))
QUERY_VALUE = st.one_of(st.text(URL_SAFE.filter(lambda c: c not in "&="), max_size=6),
                        st.sampled_from(["", "1", "%20", "twitter", "a+b", "&amp;", "&amp;amp;"]))
QUERY = st.lists(st.tuples(QUERY_KEY, st.one_of(st.none(), QUERY_VALUE)), max_size=5).map(
    lambda pairs: "&".join(k if v is None else f"{k}={v}" for k, v in pairs))


@st.composite
def http_urls(draw, host=VALID_HOST):
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    userinfo = draw(st.sampled_from(["", "", "user@", "user:pw@"]))
    port = draw(st.one_of(st.none(), st.integers(1, 65535)))
    path = "/".join(draw(st.lists(PATH_SEGMENT, max_size=6)))
    if draw(st.booleans()):
        path += "/"
    url = f"{scheme}://{userinfo}{draw(host)}" + (f":{port}" if port else "") + "/" + path.lstrip("/")
    if draw(st.booleans()):
        url += "?" + draw(QUERY)
    if draw(st.booleans()):
        url += "#" + draw(st.text(URL_SAFE, max_size=8))
    return url


# Broken but URL-shaped: brackets in the host, bad ports, other schemes, spaces.
BROKEN_URL = st.one_of(
    st.builds(lambda s, h, port, rest: f"{s}://{h}:{port}/{rest}", st.sampled_from(["http", "https"]),
              VALID_HOST, st.one_of(st.integers(0, 999_999).map(str), st.sampled_from(["x", "", "-1", "80a"])),
              SHORT_TEXT),
    st.builds(lambda s, h, rest: f"{s}://{h}/{rest}", st.sampled_from(["http", "https"]),
              st.sampled_from(["[", "]", "[::1", "::1]", "[::1]", "[v1.x]", "a[b]", "foreign[olicy.com", "a b",
                               "", "@", ":", "%00"]), SHORT_TEXT),
    st.builds(lambda s, rest: f"{s}{rest}", st.sampled_from(["javascript:", "mailto:", "data:", "ftp://", "//",
                                                             "/", "", "#", "?", "http:", "https:/"]),
              SHORT_TEXT),
)
ANY_URL = named("any_url", st.one_of(http_urls(), BROKEN_URL, TEXT))

# =========================================================================== 1. processors


def trimmed(text: str) -> bool:
    return text == text.strip() and "  " not in text


@FAST
@given(TEXT)
def test_clean_text_is_trimmed_single_spaced(text):
    out = p.clean_text(text)
    assert isinstance(out, str)
    assert out == out.strip()
    assert "  " not in out
    assert not re.search(r"\s\s", out)


@FAST
@given(TEXT)
def test_clean_text_is_idempotent(text):
    once = p.clean_text(text)
    assert p.clean_text(once) == once


@FAST
@given(st.one_of(TEXT, st.none()))
def test_html_to_text_never_raises(text):
    out = p.html_to_text(text)
    assert isinstance(out, str) and trimmed(out)


@FAST
@given(TEXT)
def test_comparison_key_never_raises(text):
    assert isinstance(p.comparison_key(text), str)


@FAST
@given(TEXTS)
def test_body_paragraphs_nonempty_and_distinct(paragraphs):
    out = p.body_paragraphs(paragraphs)
    assert all(isinstance(x, str) and x for x in out)
    keys = [p.comparison_key(x) for x in out]
    assert len(keys) == len(set(keys))


@FAST
@given(TEXT)
def test_title_case_place_never_raises(text):
    out = p.title_case_place(text)
    assert isinstance(out, str)


@FAST
@given(MAYBE_TEXT)
def test_body_dateline_is_none_or_nonempty(text):
    out = p.body_dateline(text)
    assert out is None or (isinstance(out, str) and out)  # schema: dateline is a non-empty string or null


@FAST
@given(st.one_of(ISO_LIKE, DATE_TEXT, TEXT, st.none()))
def test_parse_datetime_is_none_or_aware(text):
    out = p.parse_datetime(text)
    assert out is None or out.tzinfo is not None


@FAST
@given(st.one_of(ISO_LIKE, DATE_TEXT, TEXT, st.none()))
def test_iso_datetime_matches_schema_pattern(text):
    out = p.iso_datetime(text)
    assert out is None or ISO_DATETIME_RE.search(out), out


@FAST
@given(st.one_of(ANY_URL, st.none()))
def test_date_from_url_never_raises(url):
    out = p.date_from_url(url)
    assert out is None or isinstance(out, date)


@FAST
@given(ANY_URL)
def test_canonical_url_never_raises(url):
    assert isinstance(p.canonical_url(url), str)


@FAST
@given(http_urls())
def test_canonical_url_is_idempotent_without_fragment(url):
    once = p.canonical_url(url)
    assert "#" not in once
    assert p.canonical_url(once) == once


@FAST
@given(st.one_of(ANY_URL, st.none()))
def test_image_url_never_raises(url):
    out = p.image_url(url)
    assert out is None or isinstance(out, str)


POST_IDS = named("post_ids", st.one_of(
    st.none(), st.integers(-10, 10**12), TEXT,
    pick(["0", "00", "17", " 42 ", "1e3", "\u00b2", "\u0661\u0662", "9" * 5000])))


@FAST
@given(POST_IDS, ANY_URL)
def test_article_id_matches_schema_pattern(post_id, url):
    assert ARTICLE_ID_RE.search(p.article_id(post_id, url))


@FAST
@given(TEXT, TEXTS)
def test_content_fingerprint_is_sha256_hex(headline, body):
    assert re.fullmatch(r"[0-9a-f]{64}", p.content_fingerprint(headline, body))


@FAST
@given(MAYBE_TEXT)
def test_byline_names_distinct_and_nonempty(byline):
    names = p.byline_names(byline)
    assert all(isinstance(n, str) and n for n in names)
    assert len(names) == len(set(names))
    keys = [p.comparison_key(n) for n in names]
    assert len(keys) == len(set(keys))


@FAST
@given(MAYBE_TEXT)
def test_normalize_name_never_raises(name):
    out = p.normalize_name(name)
    assert isinstance(out, str) and out == out.strip()


@FAST
@given(MAYBE_TEXT)
def test_bio_name_never_raises(bio):
    out = p.bio_name(bio)
    assert out is None or isinstance(out, str)


IMAGE_SCHEMA = Draft202012Validator({"$defs": schema()["$defs"], "$ref": "#/$defs/image"})
YEARS = st.one_of(st.none(), st.integers(1, 9999))


@FAST
@given(MAYBE_TEXT, MAYBE_TEXT, YEARS)
def test_parse_caption_shape(raw, credit, year):
    out = p.parse_caption(raw, credit=credit, fallback_year=year)
    assert set(out) == {"caption", "credit", "dateline"}
    assert out["caption"] is None or not p.is_filename(out["caption"])
    # Whatever the caption text, the image record built from it is valid against the schema
    # (except for its length limits: an over-long caption is rejected by design, never cut).
    errors = [e.message for e in IMAGE_SCHEMA.iter_errors({"url": "https://foreignpolicy.com/a.jpg", **out})
              if e.validator != "maxLength"]
    assert errors == []


@FAST
@given(MAYBE_TEXT)
def test_split_credit_never_raises(caption):
    text, credit = p.split_credit(caption)
    assert isinstance(text, str)
    assert credit is None or (isinstance(credit, str) and credit)


@FAST
@given(MAYBE_TEXT, YEARS)
def test_split_caption_dateline_never_raises(caption, year):
    text, dateline = p.split_caption_dateline(caption, year)
    assert isinstance(text, str)
    assert dateline is None or set(dateline) == {"place", "date"}


@FAST
@given(MAYBE_TEXT)
def test_normalize_credit_is_none_or_nonempty(credit):
    out = p.normalize_credit(credit)
    assert out is None or (isinstance(out, str) and out)


@FAST
@given(MAYBE_TEXT)
def test_is_filename_never_raises(text):
    assert isinstance(p.is_filename(text), bool)


@FAST
@given(MAYBE_TEXT)
def test_articlebody_paragraphs_nonempty_and_distinct(raw):
    out = p.articlebody_paragraphs(raw)
    assert all(isinstance(x, str) and x for x in out)
    keys = [p.comparison_key(x) for x in out]
    assert len(keys) == len(set(keys))


@FAST
@given(MAYBE_TEXT)
def test_headline_text_never_raises(value):
    out = p.headline_text(value)
    assert isinstance(out, str)


@FAST
@given(TEXT, TEXT, TEXTS)
def test_small_text_helpers_never_raise(a, b, paragraphs):
    assert isinstance(p.fix_mojibake(a), str)
    assert isinstance(p.is_boilerplate(a), bool)
    assert p.month_number(a) in (None, *range(1, 13))
    assert p.same_name(a, a) and p.same_name(a, b) == p.same_name(b, a)
    count = p.word_count(paragraphs)
    assert isinstance(count, int) and count >= 0
    kept = p.unique(paragraphs)
    assert len({p.comparison_key(x) for x in kept}) == len(kept)


AUTHOR_CANDIDATE = st.fixed_dictionaries({}, optional={"name": MAYBE_TEXT, "url": st.one_of(st.none(), ANY_URL),
                                                       "bio": MAYBE_TEXT})


@FAST
@given(st.lists(AUTHOR_CANDIDATE, max_size=6))
def test_merge_authors_one_entry_per_person(candidates):
    authors = p.merge_authors(candidates)
    for author in authors:
        assert set(author) == {"name", "url", "bio"}
        assert isinstance(author["name"], str) and author["name"]
        assert author["bio"] is None or author["bio"]
    for i, a in enumerate(authors):
        for b in authors[i + 1:]:
            assert not p.same_name(a["name"], b["name"])


RENDERING = st.builds(p.parse_caption, MAYBE_TEXT, MAYBE_TEXT, YEARS)
IMAGE_CANDIDATE = st.fixed_dictionaries({"url": st.one_of(st.none(), ANY_URL)},
                                        optional={"renderings": st.one_of(st.none(), st.lists(RENDERING, max_size=3))})


@FAST
@given(st.lists(IMAGE_CANDIDATE, max_size=6))
def test_merge_images_one_entry_per_url(candidates):
    images = p.merge_images(candidates)
    for image in images:
        assert set(image) == {"url", "caption", "credit", "dateline"}
        assert image["url"]
    urls = [image["url"] for image in images]
    assert len(urls) == len(set(urls))


# =========================================================================== page fixtures


def _site_url(path: Path) -> str:
    rel = path.relative_to(SITE).as_posix()
    return f"{BASE}/{rel[:-len('index.html')]}"


FIXTURE_URLS = {path: url for path, url in
                [(f.relative_to(SITE).as_posix(), _site_url(f)) for f in sorted(SITE.glob("20*/*/*/*/index.html"))]
                + [("channel/the-cable/index.html", f"{BASE}/channel/the-cable/"),
                   ("channel/the-cable/page-2.html", f"{BASE}/channel/the-cable/?results-page=2"),
                   ("channel/the-cable/page-3.html", f"{BASE}/channel/the-cable/?results-page=3")]}
ARTICLE_FIXTURES = [name for name in FIXTURE_URLS if not name.startswith("channel/")]
INDEX_FIXTURES = [name for name in FIXTURE_URLS if name.startswith("channel/")]


def test_fixture_pages_found():
    assert len(ARTICLE_FIXTURES) >= 8 and len(INDEX_FIXTURES) == 3
    assert all((SITE / name).stat().st_size for name in FIXTURE_URLS)


@pytest.fixture(scope="module")
def spider(tmp_path_factory):
    work = tmp_path_factory.mktemp("fuzz-state")
    # Output too: index-page rejects (over-long or off-site next links) write the rejects file.
    crawler = get_crawler(CableSpider, {**INCREMENTAL, "CABLE_STATE_DIR": str(work),
                                        "CABLE_OUTPUT_DIR": str(work / "output")})
    spider = CableSpider.from_crawler(crawler)
    yield spider
    spider.incremental.state.close()


def html_response(url: str, body: bytes) -> HtmlResponse:
    return HtmlResponse(url=url, body=body, request=Request(url))


class Page:
    """A page given to the spider. For a mutated fixture, repr() names the fixture and
    the edits, so a failing example reads short and replays: replay(fixture, edits)."""

    __slots__ = ("url", "body", "fixture", "edits")

    def __init__(self, url: str, body: bytes, fixture: str | None = None, edits: tuple = ()):
        self.url, self.body, self.fixture, self.edits = url, body, fixture, edits

    def __repr__(self) -> str:
        if self.fixture is None:
            return f"Page(url={self.url!r}, body={self.body!r})"
        return f"replay({self.fixture!r}, {list(self.edits)!r})"


def apply_edit(data: bytes, edit: tuple) -> bytes:
    kind, *args = edit
    if kind == "delete":
        start, end = args
        return data[:start] + data[end:]
    if kind == "duplicate":
        start, end, at = args
        return data[:at] + data[start:end] + data[at:]
    if kind == "insert":
        at, snippet = args
        return data[:at] + snippet + data[at:]
    if kind == "truncate":
        return data[:args[0]]
    if kind == "swap":  # two non-overlapping slices, s1 <= e1 <= s2 <= e2
        s1, e1, s2, e2 = args
        return data[:s1] + data[s2:e2] + data[e1:s2] + data[s1:e1] + data[e2:]
    if kind == "replace":
        at, byte = args
        return data[:at] + bytes([byte]) + data[at + 1:]
    if kind == "set_attr":  # an attribute's value, data[start:end], replaced
        start, end, value = args
        return data[:start] + value + data[end:]
    raise ValueError(kind)


def replay(fixture: str, edits: list[tuple]) -> Page:
    """The mutated page a failing example names, e.g. for a debugger session."""
    body = (SITE / fixture).read_bytes()
    for edit in edits:
        body = apply_edit(body, edit)
    return Page(FIXTURE_URLS[fixture], body, fixture, tuple(edits))


# =========================================================================== markup strategies (FP vocabulary)

TAGS = ["div", "p", "h1", "h2", "h3", "figure", "figcaption", "img", "noscript", "script", "a", "span", "time",
        "address", "section", "article", "li", "blockquote", "br", "strong", "em", "dl", "dd", "nav", "header"]
VOID_TAGS = {"img", "br"}
CLASSES = [
    "hed", "dek-heading", "dek", "author-list", "author", "author-bio", "author-bio-text", "content-gated",
    "content-gated--main-article", "content-ungated", "post-content-main", "post-content", "feature-body",
    "entry-content", "wp-caption", "wp-caption-text", "caption", "attribution", "figure-image", "related-articles",
    "related-articles-carousel", "fp_choose_placement_related_posts", "the-tags", "tag", "hed-heading", "byline",
    "feature-byline", "bio-no-photo", "excerpt-content", "excerpt-content--list", "blog-list-layout", "next",
    "page-numbers", "load-more", "article", "gallery-item", "gallery-caption", "paywall", "feature-image",
]
ATTR_VALUES = {
    "class": st.lists(pick(CLASSES), min_size=1, max_size=3).map(" ".join),
    "href": ANY_URL,
    "src": ANY_URL,
    "data-src": ANY_URL,
    "srcset": st.builds(lambda u, w: f"{u} {w}w", ANY_URL, st.integers(0, 2000)),
    "datetime": DATE_TEXT,
    "rel": st.sampled_from(["author", "canonical", "next", "shortlink", "alternate", ""]),
    "data-post-id": POST_IDS.map(lambda v: "" if v is None else str(v)),
    "alt": SHORT_TEXT,
    "id": st.sampled_from(["by-line", "art-body", "main", "div-gpt-ad-1", "share-box"]),
    "type": st.sampled_from(["application/ld+json", "text/javascript", "application/json"]),
    "style": st.sampled_from(["height:0;opacity:0;", "display:none"]),
    "content": st.one_of(DATE_TEXT, ANY_URL, SHORT_TEXT),
    "property": st.sampled_from(["og:title", "og:url", "og:image", "article:published_time",
                                 "article:modified_time", "og:updated_time", "article:tag", "article:author"]),
    "name": st.sampled_from(["author", "parsely-pub-date"]),
}


def _escape_attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;")


ATTRIBUTE = named("attribute", st.one_of(
    pick(sorted(ATTR_VALUES)).flatmap(
        lambda name: ATTR_VALUES[name].map(lambda value: f' {name}="{_escape_attr(value)}"')),
    # Junk in attribute names (Word paste, stray bytes): HTML parsers keep it, lxml can't hand it back.
    st.sampled_from([' data-x\x0b="1"', ' \x01="1"', ' a\x1fb', ' caf\u00e9="1"', ' "="1"', " =x"]),
))
# Text as HTML: mostly escaped, sometimes raw (stray "<" and "&").
HTML_TEXT = named("html_text", st.one_of(
    SHORT_TEXT.map(lambda t: t.replace("&", "&amp;").replace("<", "&lt;")), SHORT_TEXT))
# JSON-LD: mostly well-typed values, sometimes of the wrong JSON type, sometimes not JSON at all.
JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), SHORT_TEXT)
LD_VALUE = st.one_of(SHORT_TEXT, SHORT_TEXT, JSON_SCALAR, st.lists(JSON_SCALAR, max_size=3),
                     st.dictionaries(st.sampled_from(["name", "url", "@type"]), JSON_SCALAR, max_size=2))
LD_AUTHOR = st.one_of(
    st.fixed_dictionaries({"@type": st.just("Person"), "name": st.one_of(SHORT_TEXT, JSON_SCALAR)},
                          optional={"url": st.one_of(ANY_URL, JSON_SCALAR)}),
    SHORT_TEXT, JSON_SCALAR)
LD_ARTICLE = st.fixed_dictionaries(
    {"@type": st.sampled_from(["NewsArticle", "Article", "BlogPosting", "WebPage", ["NewsArticle"]])},
    optional={"headline": LD_VALUE, "datePublished": st.one_of(DATE_TEXT, LD_VALUE),
              "dateModified": st.one_of(DATE_TEXT, LD_VALUE),
              "author": st.one_of(LD_AUTHOR, st.lists(LD_AUTHOR, max_size=3)),
              "Articlebody": st.one_of(TEXT, LD_VALUE), "articleBody": st.one_of(TEXT, LD_VALUE)})
_JSON_LD = st.one_of(
    LD_ARTICLE.map(json.dumps),
    st.lists(LD_ARTICLE, max_size=2).map(lambda nodes: json.dumps({"@graph": nodes})),
    st.lists(LD_ARTICLE, max_size=2).map(json.dumps),
    SHORT_TEXT,
)
JSON_LD = named("json_ld", _JSON_LD)


def _element(tag: str, attrs: list[str], children: list[str]) -> str:
    if tag in VOID_TAGS:
        return f"<{tag}{''.join(attrs)}>"
    return f"<{tag}{''.join(attrs)}>{''.join(children)}</{tag}>"


LEAF = st.one_of(
    HTML_TEXT,
    st.builds(_element, st.sampled_from(TAGS), st.lists(ATTRIBUTE, max_size=4), st.lists(HTML_TEXT, max_size=2)),
    JSON_LD.map(lambda data: f'<script type="application/ld+json">{data}</script>'),
)
HTML_TREE = st.recursive(
    LEAF,
    lambda children: st.builds(_element, st.sampled_from(TAGS), st.lists(ATTRIBUTE, max_size=4),
                               st.lists(children, max_size=5)),
    max_leaves=20,
)
HEAD_ELEMENT = st.one_of(
    st.builds(lambda u: f'<link rel="canonical" href="{_escape_attr(u)}">', ANY_URL),
    st.builds(lambda prop, v: f'<meta property="{prop}" content="{_escape_attr(v)}">',
              ATTR_VALUES["property"], ATTR_VALUES["content"]),
    st.builds(lambda v: f'<meta name="author" content="{_escape_attr(v)}">', SHORT_TEXT),
    st.builds(lambda v: f'<meta name="parsely-pub-date" content="{_escape_attr(v)}">', DATE_TEXT),
    st.builds(lambda v: f'<link rel="shortlink" href="{BASE}/?p={_escape_attr(v)}">', POST_IDS.map(str)),
    HTML_TEXT.map(lambda t: f"<title>{t}</title>"),
    JSON_LD.map(lambda data: f'<script type="application/ld+json">{data}</script>'),
)


@st.composite
def random_pages(draw):
    head = "".join(draw(st.lists(HEAD_ELEMENT, max_size=6)))
    body_class = draw(st.one_of(st.sampled_from(["", "single-post", "single-post postid-1100200"]),
                                POST_IDS.map(lambda post: f"postid-{post}")))
    body = "".join(draw(st.lists(HTML_TREE, min_size=1, max_size=3)))
    if draw(st.booleans()):
        # An article skeleton (headline, date, one paragraph) around the random markup, so that
        # many pages reach the "complete item => valid record" check.
        head = ('<title>A Headline | Foreign Policy</title>'
                '<meta property="article:published_time" content="2021-06-02T10:00:00+00:00">' + head)
        body = f'<div class="content-gated"><p>First paragraph.</p>{body}</div>'
    html = (f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}</head>'
            f'<body class="{_escape_attr(body_class)}">{body}</body></html>')
    url = draw(st.sampled_from([FIXTURE_URLS[name] for name in ARTICLE_FIXTURES]
                               + [f"{BASE}/2023/03/01/insider-post/"]))
    return Page(url, html.encode("utf-8"))



# Column index pages: entries (div.blog-list-layout) and "next" links with random hrefs and dates.
ENTRY_HREF = st.one_of(
    st.builds(lambda d, slug: f"{BASE}/{d.isoformat().replace('-', '/')}/{slug}/",
              st.dates(date(1999, 1, 1), date(2030, 12, 31)), st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True)),
    st.from_regex(r"/20[0-9]{2}/[01][0-9]/[0-3][0-9]/[a-z-]{1,10}/", fullmatch=True),
    ANY_URL,
)


@st.composite
def index_entries(draw):
    href = _escape_attr(draw(ENTRY_HREF))
    template = draw(st.sampled_from([
        '<a class="hed-heading -excerpt" href="{href}"><h3 class="hed">{hed}</h3></a>',
        '<h3 class="hed"><a href="{href}">{hed}</a></h3>',
        '<figure><a href="{href}"><img src="/a.jpg"></a></figure>',
        '<h3 class="hed">{hed}</h3>',
    ]))
    link = template.replace("{href}", href).replace("{hed}", draw(HTML_TEXT))
    when = _escape_attr(draw(DATE_TEXT))
    post_id = _escape_attr(str(draw(POST_IDS)))
    entry_class = draw(st.sampled_from(["excerpt-content--list", "excerpt-content", "excerpt-content related"]))
    return (f'<div class="blog-list-layout"><div class="{entry_class}" data-post-id="{post_id}">{link}'
            f'<time datetime="{when}"></time><p class="dek">{draw(HTML_TEXT)}</p></div></div>')


NEXT_LINK = st.builds(
    lambda template, href: template.format(href=_escape_attr(href)),
    st.sampled_from(['<a class="next page-numbers" href="{href}">Next</a>', '<link rel="next" href="{href}">',
                     '<a class="load-more" data-href="{href}">More</a>']),
    st.one_of(st.just(f"{BASE}/channel/the-cable/?results-page=2"), ANY_URL))


@st.composite
def random_index_pages(draw):
    parts = draw(st.lists(st.one_of(index_entries(), NEXT_LINK, HTML_TREE), min_size=1, max_size=8))
    html = ('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
            f'<div class="channel-list main-column">{"".join(parts)}</div></body></html>')
    return Page(FIXTURE_URLS["channel/the-cable/index.html"], html.encode("utf-8"))

# =========================================================================== mutations


# Offsets where a mutation changes what the readers see: attribute values, tag starts and ends.
_ANCHOR_RE = re.compile(rb'="|<[a-z/!]|>')
# Attribute values the readers use, for set_attr: the value is replaced with one of the same kind.
_ATTR_VALUE_RE = re.compile(rb'\b(href|src|data-src|srcset|datetime|content|data-post-id|class|rel|alt)="([^"]*)"')
_READ_URL_TAG_RE = re.compile(
    rb'<img\b[^>]*\b(?:src|data-src|srcset)="|<link\b[^>]*rel="canonical"[^>]*href="|'
    rb'<meta\b[^>]*property="og:(?:url|image)"[^>]*content="|<a\b[^>]*(?:rel="author"|class="[^"]*hed)[^>]*href="|'
    rb'<a\b[^>]*href="[^"]*/author/')

SNIPPET = st.one_of(
    HTML_TEXT.map(lambda t: t.encode("utf-8")),
    st.builds(_element, st.sampled_from(TAGS), st.lists(ATTRIBUTE, max_size=3), st.lists(HTML_TEXT, max_size=2)
              ).map(lambda t: t.encode("utf-8")),
    HTML_TREE.map(lambda t: t.encode("utf-8")),
    ATTRIBUTE.map(lambda t: t.encode("utf-8")),
    ATTR_VALUES["href"].map(lambda t: t.encode("utf-8")),
    DATE_TEXT.map(lambda t: t.encode("utf-8")),
    st.sampled_from([b"<", b">", b"</div>", b"</p>", b"</article>", b"<div>", b"<!--", b"-->", b'"', b"'",
                     b"<script>", b"</script>", b"<![CDATA[", b"&", b"\xff", b"\xc3", b"\xe2\x80", b"\x00"]),
    st.binary(max_size=16),
)


def _offset(draw, data: bytes) -> int:
    anchors = [m.end() for m in _ANCHOR_RE.finditer(data)]
    if anchors and draw(st.booleans()):
        return anchors[draw(st.integers(0, len(anchors) - 1))]
    return draw(st.integers(0, len(data)))


def _span(draw, data: bytes, max_len: int = 4000) -> tuple[int, int]:
    start = _offset(draw, data)
    return start, min(len(data), start + draw(st.integers(0, max_len)))


def _draw_edit(draw, kind: str, data: bytes) -> tuple:
    if kind == "delete":
        return ("delete", *_span(draw, data))
    if kind == "duplicate":
        return ("duplicate", *_span(draw, data), _offset(draw, data))
    if kind == "insert":
        return ("insert", _offset(draw, data), draw(SNIPPET))
    if kind == "truncate":
        return ("truncate", _offset(draw, data))
    if kind == "swap":
        (s1, e1), (s2, e2) = sorted([_span(draw, data, 2000), _span(draw, data, 2000)])
        e1 = min(e1, s2)
        return ("swap", s1, e1, s2, e2)
    if kind == "set_attr":
        matches = list(_ATTR_VALUE_RE.finditer(data))
        # Half the time, a URL the readers keep (canonical, og:url, author and teaser links, images).
        read = [m for m in matches if _READ_URL_TAG_RE.search(data, data.rfind(b"<", 0, m.start()), m.end())]
        if read and draw(st.booleans()):
            matches = read
        if matches:
            match = matches[draw(st.integers(0, len(matches) - 1))]
            name = match.group(1).decode()
            value = draw(ATTR_VALUES[name]) if name in ATTR_VALUES else draw(SHORT_TEXT)
            return ("set_attr", match.start(2), match.end(2), _escape_attr(value).encode("utf-8"))
        kind = "insert"
    if kind == "insert":
        return ("insert", _offset(draw, data), draw(SNIPPET))
    if kind == "replace":
        at = min(_offset(draw, data), max(len(data) - 1, 0))
        byte = draw(st.one_of(st.integers(0, 255), st.sampled_from(b"\xff\xfe\xc0\xc3\x80\xe2<>\"'&/=#:[] ")))
        return ("replace", at, byte)
    raise ValueError(kind)


EDIT_KINDS = ["delete", "duplicate", "insert", "truncate", "swap", "replace", "set_attr", "set_attr"]


@st.composite
def mutated(draw, fixtures: list[str]):
    fixture = draw(st.sampled_from(fixtures))
    data = (SITE / fixture).read_bytes()
    edits = []
    for kind in draw(st.lists(st.sampled_from(EDIT_KINDS), min_size=1, max_size=5)):
        edit = _draw_edit(draw, kind, data)
        data = apply_edit(data, edit)
        edits.append(edit)
    return Page(FIXTURE_URLS[fixture], data, fixture, tuple(edits))


@FAST
@given(TEXT, st.sampled_from(["", " | Foreign Policy", " - FOREIGN POLICY ", "–Foreign Policy\n", " Foreign Policy",
                              "Foreign PolicY", " | Foreign Polic", "y", "Y "]))
def test_headline_text_drops_what_the_site_suffix_pattern_drops(text, suffix):
    # headline_text skips the search for a text that cannot end in the suffix: the same result.
    assert p.headline_text(text + suffix) == p._SITE_SUFFIX_RE.sub("", p.html_to_text(text + suffix))


# Class values as HTML leaves them to the reader: junk words in any case, other words, split by
# what HTML splits at and by what it does not (vertical tab, no-break space), in either mode.
JUNK_WORDS = [name[1:] for name in markup.BODY_JUNK if re.fullmatch(r"\.[\w-]+", name)]
CLASS_WORD = st.one_of(pick(JUNK_WORDS), pick(JUNK_WORDS).map(str.upper), pick(JUNK_WORDS).map(str.title),
                       pick(CLASSES), st.sampled_from(["sidebar-big-box-ad-1", "x", "\u212aaption", "captions"]))
CLASS_SEPARATOR = st.sampled_from([" ", "  ", "\t", "\n", "&#12;", "&#13;", "&#11;", "&#xa0;", "\u2003", ""])
CLASS_VALUE = st.lists(st.tuples(CLASS_WORD, CLASS_SEPARATOR), max_size=4).map(
    lambda parts: "".join(word + sep for word, sep in parts))


@FAST
@given(st.sampled_from(["<!DOCTYPE html>", ""]), st.lists(st.tuples(pick(TAGS), CLASS_VALUE), max_size=6))
def test_junk_elements_find_what_lexbor_finds(mode, elements):
    html = mode + "<div id=c>" + "".join(f'<{tag} class="{value}">t</{tag}>' for tag, value in elements) + "</div>"
    root = markup.page_root(HtmlResponse(url="https://foreignpolicy.com/", body=html.encode(), encoding="utf-8"))
    container = markup.select(root, "#c")[0]
    assert ({node.mem_id for node in markup.junk_elements(container)}
            == {node.mem_id for node in markup.select(container, markup._BODY_JUNK)})


# =========================================================================== 2./3. page properties


def article_output(spider, page: Page) -> list:
    out = collect(spider.parse_article(html_response(page.url, page.body)))
    assert all(isinstance(obj, (ArticleItem, PageFailure)) for obj in out), out
    return out


# What validation rejects on purpose in a page that is otherwise readable (validation.py).
DELIBERATE_REJECT = re.compile(r"^(?:published_at|modified_at): .* is (?:before|after) "
                               r"|: \d+ (?:characters|items), more than the limit of \d+$")


def check_article_output(spider, page: Page) -> None:
    for obj in article_output(spider, page):
        if not isinstance(obj, ArticleItem):
            continue
        reasons = problems(record(obj))
        assert isinstance(reasons, list) and all(isinstance(r, str) for r in reasons)
        if obj.get("body") and obj.get("headline") and obj.get("published_at"):
            # Passes the required-field checks, so it must be a valid record, unless it is
            # rejected on purpose (an implausible date, an over-long value), with that reason.
            assert [r for r in reasons if not DELIBERATE_REJECT.search(r)] == [], reasons


@PAGES
@given(mutated(ARTICLE_FIXTURES))
def test_parse_article_on_mutated_fixture_pages(spider, page):
    check_article_output(spider, page)


@PAGES
@given(random_pages())
def test_parse_article_on_random_html(spider, page):
    check_article_output(spider, page)


@PAGES
@given(st.one_of(mutated(ARTICLE_FIXTURES), random_pages()))
def test_parse_article_reads_every_html_page(spider, page):
    """Beyond "parse_article never raises": the page reader itself must not raise.
    parse_article turns a reader exception into a PageFailure ("parse error"), which
    throws a whole article away over one malformed attribute."""
    failures = [obj["reason"] for obj in article_output(spider, page)
                if isinstance(obj, PageFailure) and "parse error" in obj.get("reason", "")]
    assert failures == []


def check_index_output(spider, page: Page) -> None:
    for obj in spider.parse_index(html_response(page.url, page.body), page=1):
        if isinstance(obj, PageFailure):  # an unusable index page (e.g. empty) is reported, not followed
            continue
        assert isinstance(obj, Request), obj
        # Same site as the index page: foreignpolicy.com, www. or a subdomain (thecable.), as boundary.same_site says.
        match = re.match(r"^https?://([^/:?#]+)", obj.url)
        assert match and same_site(match.group(1), HOST), obj.url


@PAGES
@given(mutated(INDEX_FIXTURES))
def test_parse_index_on_mutated_index_pages(spider, page):
    check_index_output(spider, page)


@PAGES
@given(random_index_pages())
def test_parse_index_on_random_listing_html(spider, page):
    check_index_output(spider, page)
