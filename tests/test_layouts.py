"""Article page objects: the layout of every fixture page, the access field, the
field lists, and the layout counts of a real crawl (tests/site/FIXTURES.md, MARKUP.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from cable_crawler.items import ARTICLE_FIELDS
from cable_crawler.extraction.loaders import DERIVED_FIELDS, ArticleLoader
from cable_crawler.extraction.pages import read_article
from cable_crawler.extraction.pages.layouts import LAYOUTS, PAGE_FIELDS, ArticlePage, detect_layout
from cable_crawler.extraction.pages.markup import page_root
from cable_crawler.extraction.processors import access_level, first_post_id

from conftest import scrapy_crawl
from pagesite import PageSite

TESTS = Path(__file__).resolve().parent
REAL_2021 = TESTS / "data" / "corpus" / "fp" / "article-2021-05-29-gay-reparations-fp2017-theme.html"


def response(html: str | bytes, url: str = "https://foreignpolicy.com/2023/03/01/post/") -> HtmlResponse:
    body = html if isinstance(html, bytes) else html.encode("utf-8")
    return HtmlResponse(url=url, body=body, headers={"Content-Type": "text/html; charset=utf-8"})


# Era A: from MARKUP.md's rules for the legacy Cable blog (no saved page of that era exists).
LEGACY_BLOG = """<html><head><title>Kerry heads to Vienna | The Cable</title></head><body>
<div class="translateHead"><h1>Kerry Heads to Vienna</h1></div>
<span class="post_by">By <a href="/author/elias-groll/">Elias Groll</a></span>
<span class="post_date">Wednesday, June 10, 2015 - 3:04 PM</span>
<div class="translateBody"><p>VIENNA &#8212; Secretary of State John Kerry arrived on Wednesday.</p>
<div id="share-box">Share</div><p>Talks resume on Thursday.</p></div></body></html>"""


@pytest.mark.parametrize("path, layout", [
    ("site/2021/06/02/biden-putin-geneva-summit-expectations-arms-control-cyber/index.html", "fp2017"),  # A
    ("site/2021/05/28/biden-budget-request-state-department-usaid-diplomacy/index.html", "fp2017"),  # B
    ("site/2020/11/03/united-nations-diplomats-us-election-day/index.html", "fp2017"),  # C
    ("site/2020/11/03/united-nations-diplomats-us-election-day-2/index.html", "fp2017"),  # C-2
    ("site/2016/08/04/un-nears-deal-on-humanitarian-pause-in-aleppo-but-what-comes-next/index.html", "current"),  # SEED
    ("site/2015/06/10/kerry-heads-to-vienna/index.html", "vip_2015"),  # D: vip theme, 2017 header assets
    ("site/2015/01/15/state-department-briefing/index.html", "fp2017"),  # MALFORMED: theme assets only
    ("site/2014/12/09/un-record-humanitarian-appeal-2015/index.html", "fp2017"),  # E
    ("site/2012/03/20/us-exempts-japan-and-10-eu-countries-from-iran-sanctions/index.html", "fp2017"),  # F
    ("site_js/2022/02/10/article-on-page-two/index.html", "fp2017"),  # no theme assets: containers
    ("site_js/2022/02/20/static-article/index.html", "fp2017"),
    ("site_js/2022/03/01/lead-image-set-by-script/index.html", "fp2017"),
    ("data/corpus/fp/article-2021-05-29-gay-reparations-fp2017-theme.html", "fp2017"),  # the real 2021 page
])
def test_every_fixture_page_is_detected_as_its_era(path, layout):
    assert detect_layout(page_root(response((TESTS / path).read_bytes()))) == layout


@pytest.mark.parametrize("html, layout", [
    (LEGACY_BLOG, "legacy_blog"),
    ("<html><body><div id='art-mast'><h1>T</h1></div><div id='art-body'><p>x</p></div></body></html>", "legacy_blog"),
    ("<html><head><link rel='stylesheet' href='https://s0.wp.com/wp-content/themes/vip/foreign-policy/style.css'>"
     "</head><body><p>x</p></body></html>", "vip_2015"),
    ("<html><head><script src='/wp-content/themes/vip/foreign-policy-2017/assets/app.js'></script></head></html>",
     "fp2017"),
    ("<html><head><link rel='stylesheet' href='/wp-content/themes/foreign-policy-2017/assets/a.css'></head></html>",
     "fp2017"),
    ("<html><body class='single-post is-fp-insider'><p>x</p></body></html>", "current"),
    ("<html><body><div class='hed-heading'><h1 class='hed'>T</h1></div></body></html>", "current"),
    # a current-theme page still loading foreign-policy-2017 assets is current
    ("<html><head><link href='/wp-content/themes/foreign-policy-2017/a.css' rel='stylesheet'></head>"
     "<body><div class='content-gated'><p>x</p></div></body></html>", "current"),
    # a teaser's a.hed-heading is no current-theme header; span.hed-heading is fp2017's
    ("<html><body><a class='hed-heading -excerpt' href='/x/'><h3 class='hed'>T</h3></a></body></html>", "unknown"),
    ("<html><body><article><h1>T</h1><p>Text.</p></article></body></html>", "unknown"),
    ("", "unknown"),
])
def test_layout_markers(html, layout):
    assert detect_layout(page_root(response(html or "<html></html>"))) == layout


def test_legacy_blog_page_is_read_with_its_own_selectors():
    item, layout = read_article(response(LEGACY_BLOG, "https://foreignpolicy.com/2015/06/10/kerry-heads-to-vienna/"))
    assert layout == "legacy_blog"
    assert item["headline"] == "Kerry Heads to Vienna"
    assert [a["name"] for a in item["authors"]] == ["Elias Groll"]
    assert item["body"] == ["VIENNA \u2014 Secretary of State John Kerry arrived on Wednesday.", "Talks resume on Thursday."]
    assert item["published_at"] == "2015-06-10T00:00:00+00:00"  # the URL's date: span.post_date is no ISO date


def test_unknown_layout_is_read_from_jsonld_and_meta():
    html = """<html><head><meta property="og:title" content="From the Meta | Foreign Policy">
    <meta name="author" content="Colum Lynch"><script type="application/ld+json">{"@type": "NewsArticle",
    "datePublished": "2023-03-01T10:00:00Z", "articleBody": "First paragraph.\\n\\nSecond paragraph."}</script>
    </head><body><div class="some-new-theme"><p></p></div></body></html>"""
    item, layout = read_article(response(html))
    assert layout == "unknown"
    assert (item["headline"], [a["name"] for a in item["authors"]]) == ("From the Meta", ["Colum Lynch"])
    assert item["body"] == ["First paragraph.", "Second paragraph."]
    assert item["published_at"] == "2023-03-01T10:00:00+00:00"


# ----------------------------------------------------------------------------- the field lists


def test_every_item_field_is_found_by_a_page_method_or_derived_by_the_loader():
    """A new field must be found (PAGE_FIELDS, a method of ArticlePage) or derived
    (loaders.DERIVED_FIELDS); `column` is the crawl's; `id` is found, then derived."""
    assert set(PAGE_FIELDS) | set(DERIVED_FIELDS) | {"column"} == set(ARTICLE_FIELDS)
    assert set(PAGE_FIELDS) & set(DERIVED_FIELDS) == {"id"}
    for page_class in LAYOUTS.values():
        assert issubclass(page_class, ArticlePage)
        for field in PAGE_FIELDS:
            assert callable(getattr(page_class, field)), (page_class.layout, field)
    assert sorted(LAYOUTS) == ["current", "fp2017", "legacy_blog", "unknown", "vip_2015"]


def test_caption_datelines_take_the_year_the_loader_resolves():
    """The page passes caption renderings raw; the loader parses them once the article's
    date is known (no read of published_at half-way through the page)."""
    loader = ArticleLoader()
    candidate = {"url": "https://foreignpolicy.com/a.jpg",
                 "renderings": [{"text": "ALEPPO, SYRIA - AUGUST 4: Smoke rises.", "credit": None}]}
    loader.add_value("images", [candidate])
    loader.add_value("lead_image", [candidate])
    loader.add_value("published_at", ["2016-08-04T09:48:00-04:00"])
    item = loader.load_item()
    expected = {"url": "https://foreignpolicy.com/a.jpg", "caption": "Smoke rises.", "credit": None,
                "dateline": {"place": "Aleppo, Syria", "date": "2016-08-04"}}
    assert item["images"] == [expected] and item["lead_image"] == expected


@pytest.mark.parametrize("candidates, expected", [
    (["1045575", "999"], "1045575"),
    (["", "abc", "12x", "308713"], "308713"),  # a template's placeholder is no id
    ([None, "1" * 19, "1" * 18], "1" * 18),    # longer than any WordPress post id
    ([], None),
])
def test_first_post_id(candidates, expected):
    assert first_post_id(candidates) == expected


# ----------------------------------------------------------------------------- access


@pytest.mark.parametrize("markers, expected", [
    ([{"premium": "yes", "body_class": None}], "subscriber"),
    ([{"premium": " YES ", "body_class": ""}], "subscriber"),
    ([{"premium": "true", "body_class": None}], "subscriber"),
    ([{"premium": "no", "body_class": "single-post is-fp-insider postid-1"}], "subscriber"),
    ([{"premium": "no", "body_class": "single-post postid-1"}], "free"),
    ([{"premium": None, "body_class": "is-fp-insider-promo"}], "free"),  # a class token, not a substring
    ([{"premium": "", "body_class": None}], "free"),
    ([], "free"),
])
def test_access_level(markers, expected):
    assert access_level(markers) == expected


INSIDER_JSONLD = ('<script type="application/ld+json">{"@type": "NewsArticle", "isAccessibleForFree": "False",'
                  ' "Articlebody": "Only subscribers read this."}</script>')


@pytest.mark.parametrize("html, layout, access", [
    # fp2017: data-premium on the post container
    ("<body><div class='post-content' data-post-id='1' data-premium='yes'><article class='article' data-post-id='1'>"
     "<div class='post-content-main'><p>Text.</p></div></article></div></body>", "fp2017", "subscriber"),
    ("<body><div class='post-content' data-post-id='1' data-premium='no'><article class='article' data-post-id='1'>"
     "<div class='post-content-main'><p>Text.</p></div></article></div></body>", "fp2017", "free"),
    # metered pages carry isAccessibleForFree "False" too (the real 2021 page): not a marker
    (f"<head>{INSIDER_JSONLD}</head><body><div class='post-content' data-premium='no'>"
     "<div class='post-content-main'><p>Text.</p></div></div></body>", "fp2017", "free"),
    # current: FP Insider's body class
    (f"<head>{INSIDER_JSONLD}</head><body class='single-post is-fp-insider'><div class='hed-heading'><h1 class='hed'>"
     "T</h1></div><div class='content-ungated'><p>Subscribe to read the full story.</p></div></body>",
     "current", "subscriber"),
    ("<body class='single-post'><div class='hed-heading'><h1 class='hed'>T</h1></div>"
     "<div class='content-gated'><div class='content-gated--main-article'><p>Text.</p></div></div></body>",
     "current", "free"),
    ("<body><p class='feature-byline'>BY X</p><h1 class='feature-hed'>T</h1>"
     "<div class='feature-body'><p>Text.</p></div></body>", "vip_2015", "free"),
    (LEGACY_BLOG, "legacy_blog", "free"),
    ("<body><article><p>Text.</p></article></body>", "unknown", "free"),
])
def test_access_per_layout(html, layout, access):
    item, found_layout = read_article(response(f"<html>{html}</html>" if not html.startswith("<html") else html))
    assert (found_layout, item["access"]) == (layout, access)


def test_real_2021_page_is_free():
    """Its JSON-LD says isAccessibleForFree "False", its post container data-premium="no":
    a metered article anyone can read, not an Insider post."""
    html = REAL_2021.read_bytes()
    assert b'"isAccessibleForFree":"False"' in html and b'data-premium="no"' in html
    item, layout = read_article(response(html, "https://foreignpolicy.com/2021/05/29/gay-reparations-lgbtq-rights/"))
    assert (layout, item["access"]) == ("fp2017", "free")


# ----------------------------------------------------------------------------- a real crawl


def test_the_fixture_crawl_counts_its_pages_per_layout(site, tmp_path):
    result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", timeout=120)
    assert result.returncode == 0, result.log[-3000:]
    # A, B, C, C-2, E, F and the malformed page; the seed; D. C-2 (C's duplicate, index page 2) is
    # not fetched when C is already written as page 2 is read (timing): it is then counted in
    # cable/index_entries_written instead of read.
    skipped = re.search(r"'cable/index_entries_written': (\d+)", result.log)
    fp2017 = 7 - (int(skipped.group(1)) if skipped else 0)
    assert fp2017 in (6, 7)
    assert f"  layouts: fp2017 {fp2017}, current 1, vip_2015 1\n" in result.log
    for layout, count in (("fp2017", fp2017), ("current", 1), ("vip_2015", 1)):
        assert f"'cable/layout/{layout}': {count}," in result.log
    assert "cable/layout/unknown" not in result.log and "no known layout" not in result.log
    assert {a["access"] for a in result.articles} == {"free"} and len(result.articles) == 7


def test_a_page_of_no_known_layout_is_written_counted_and_warned_about(tmp_path):
    unknown = ("<html><head><title>A New Theme | Foreign Policy</title><meta name='author' content='Colum Lynch'>"
               "</head><body><article class='new-theme'><h1>A New Theme</h1><p>The text of a page in a theme"
               " nobody has seen yet.</p></article></body></html>")
    insider = ("<html><head><title>Insider | Foreign Policy</title><meta name='author' content='Amy Mackinnon'>"
               "</head><body class='single-post is-fp-insider'><div class='hed-heading'><h1 class='hed'>Insider"
               "</h1></div><div class='content-gated'><div class='content-gated--main-article'><p>Only for"
               " subscribers.</p></div></div></body></html>")
    pages = {"/2023/03/01/new-theme/": unknown, "/2023/03/02/insider/": insider}
    with PageSite(pages) as server:
        urls = ",".join(server.url + path for path in pages)
        result = scrapy_crawl(tmp_path / "output", f"base_url={server.url}", f"urls={urls}", timeout=120)
    assert result.returncode == 0, result.log[-3000:]
    assert re.search(rf"WARNING: page {re.escape(server.url)}/2023/03/01/new-theme/ has no known layout", result.log)
    assert "'cable/layout/unknown': 1," in result.log and "'cable/layout/current': 1," in result.log
    assert "  layouts: current 1, unknown 1\n" in result.log
    by_path = {a["url"][len(server.url):]: a for a in result.articles}
    assert by_path["/2023/03/01/new-theme/"]["body"] == ["The text of a page in a theme nobody has seen yet."]
    assert by_path["/2023/03/01/new-theme/"]["access"] == "free"
    assert by_path["/2023/03/02/insider/"]["access"] == "subscriber"


# ----------------------------------------------------------------------------- Lexbor against parsel


def _layout_selectors() -> list[str]:
    """Every selector (group) the page objects run: their class attributes, the unions they
    build, the layout markers, the body junk, the teaser and caption queries."""
    from cable_crawler.extraction.pages.layouts import LAYOUT_MARKERS
    from cable_crawler.extraction.pages.markup import _BODY_JUNK, BODY_JUNK

    found = {css for _, css in LAYOUT_MARKERS} | {_BODY_JUNK, *BODY_JUNK}
    # The literal queries of the page methods: self.find("..."), select(node, "...") and the like.
    source = (TESTS.parent / "cable_crawler" / "extraction" / "pages" / "layouts" / "base.py").read_text("utf-8")
    calls = r"(?:find|find_first|find_in_head|find_first_in_head|select|select_first)\("
    literals = re.findall(calls + r"""(?:[\w.]+, )?(?:f?)("[^"]+"|'[^']+')""", source)
    found |= {literal[1:-1] for literal in literals if "{" not in literal and re.search("[a-z]", literal)}
    assert len(literals) > 20
    found |= {"a.hed-heading, h3 a, a:has(h3)", "h3.hed", "span.attribution", "noscript img::attr(src)",
              "img::attr(alt)", "strong::text", "a:not(.hed) span", "p.dek:has(a)", "div.a.b#c", "#share-box, .caption",
              # a part that names its tag needs its word on an element of that tag (upper case: the same tag)
              "DIV.dek-heading P.dek", "x-tag.byline", "span.dek, section.dek", "h2#art-body, p#art-body", "I.caption"}
    for page in LAYOUTS.values():
        for name in dir(page):
            value = getattr(page, name)
            if name.isupper() and isinstance(value, str):
                found.add(value)
            elif name.isupper() and isinstance(value, tuple):
                found |= set(value)
        found.add(", ".join(page.DEKS + page.GENERIC_DEKS))
        found.add(f"{page.PREMIUM_CONTAINER}::attr(data-premium)")
    return sorted(found)


# Class and id values that a substring test or a tag-name rewrite could get wrong.
TRICKY_MARKUP = """<!DOCTYPE html><html><body class="postid-1 is-fp-insider-not">
<div class="dek-heading"><p class="dek">A</p><p class="dekko">B</p></div><span class=" dek	">C</span>
<h2 class="dek-heading
">D</h2><section class="x&#10;dek">E</section><a name="art-mast">F</a><div id="art-body-x">G</div>
<p id="art-body">H</p><b class="related-articles-carousel"><i class="related-articles">I</i></b>
<noscript><img src="/n.jpg"></noscript><figure class="caption"><img src="/f.jpg" alt="J"></figure>
<div class="post-author-bio"><p>K</p></div><ul class="wp-caption-dd"><li class="caption">L</li></ul>
<x-tag class="byline">M</x-tag><div id="share-box" class="sidebar-big-box-ad-1"><p>N</p></div>
<div STYLE="height:0;opacity:0;" Class="caption&#12;x"><p id="div-gpt-ad-9">O</p></div><div id="div-gpt-a">P</div><i id="x-div-gpt-ad">P2</i>
<meta property="og:title"><meta property="og:title" content=""><link rel="canonical" href=""><link rel="canonical">
<div class="post-content" data-post-id="" data-premium="yes"></div><time datetime="">Q</time><body class="x">
<div class="related_posts"><a class="hed-heading" href="/a">R</a><h3 class="hed"><a href="/b">S</a></h3></div>
</body></html>"""


def _element_key(node) -> tuple:
    """(tag, class, id) of an element of either tree: a parsel Selector's or a Lexbor node."""
    from cable_crawler.extraction.pages.markup import attr

    if hasattr(node, "root"):
        return node.root.tag.lower(), node.root.get("class"), node.root.get("id")
    return node.tag.lower(), attr(node, "class"), attr(node, "id")


def _signature(found) -> list:
    """What a query found, comparable across the two parsers: strings as they are, elements
    as their tag, class, id and text. An element whose class value holds a form feed is left
    out: HTML splits class values at it (Lexbor and browsers find `.caption` in "x\fcaption"),
    libxml2's normalize-space() does not (test_class_words_split_at_html_whitespace)."""
    from parsel import Selector

    out = []
    for node in found:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Selector) and isinstance(node.root, str):
            out.append(node.root)
        else:
            text = node.xpath("string()").get() if isinstance(node, Selector) else node.text(deep=True)
            out.append((*_element_key(node), " ".join(text.split())))
    return [found for found in out if isinstance(found, str) or "\x0c" not in (found[1] or "")]


def _pairs(ours: list, theirs: list) -> list:
    """Inner nodes of the two trees paired by tag, class and id (the n-th of each with the
    n-th): where the parsers nest a stray tag differently, positions alone would not pair."""
    waiting: dict = {}
    for node in theirs:
        waiting.setdefault(_element_key(node), []).append(node)
    return [(node, waiting[_element_key(node)].pop(0)) for node in ours if waiting.get(_element_key(node))]


@pytest.mark.parametrize("css", _layout_selectors())
def test_lexbor_queries_select_what_parsel_selects(css):
    """markup.select (Lexbor's CSS engine on its HTML5 tree, parsel's ::text and ::attr()
    kept) finds what parsel's query finds on libxml2's tree, in the same order, on every
    saved page and on tricky markup, under the root and (selectors without combinators)
    under inner nodes."""
    from cable_crawler.extraction.pages.markup import select
    from saved_pages import saved_pages

    responses = [page.response() for page in saved_pages()] + [response(TRICKY_MARKUP)]
    # Under an inner node, a combinator's left part may match above the node in Lexbor, as in a
    # browser's querySelectorAll (parsel's XPath looks only below): compared at the root only.
    scoped_alike = not re.search(r"[ >+~]|:has", re.sub(r"\s*,\s*", ",", css.strip()))
    for page in responses:
        root = page_root(page)
        assert _signature(select(root, css)) == _signature(page.css(css)), (css, page.url)
        inner = page.css("div, article, figure, section")
        for ours, theirs in _pairs(select(root, "div, article, figure, section")[:40], inner) if scoped_alike else ():
            assert _signature(select(ours, css)) == _signature(theirs.css(css)), (css, page.url)


def test_most_layout_selectors_find_something_on_the_saved_pages():
    """The comparison above is not empty: most selectors find elements on some page."""
    from cable_crawler.extraction.pages.markup import select
    from saved_pages import saved_pages

    roots = [page_root(page.response()) for page in saved_pages()] + [page_root(response(TRICKY_MARKUP))]
    selectors = _layout_selectors()
    finding = [css for css in selectors if any(select(root, css) for root in roots)]
    assert len(finding) > 0.6 * len(selectors), sorted(set(selectors) - set(finding))


# Simple selectors (tag, classes, id, [a], [a=v], [a^=v], [a$=v], [a*=v]) and markup where
# whitespace, case and empty values could make Lexbor's answer differ from parsel's XPath.
SIMPLE_MARKUP = """<!DOCTYPE html><html><body><div class="caption">1</div><div class=" caption	x
">2</div>
<div class="x&#12;caption">3 (form feed: no XML whitespace)</div><div class="caption&#160;x">4</div>
<div class="captions">5</div><div class="Caption">6</div><p class="">7</p><p class>8</p>
<i id="div-gpt-ad-1">9</i><i id="x-div-gpt-ad">10</i><i id="">11</i><i ID="share-box">12</i><i id="share-box ">13</i>
<b style="height:0;opacity:0;">14</b><b STYLE="a;height:0;opacity:0;b">15</b><b style="">16</b>
<span class="a b" id="c" data-x="yz">17</span><span class="b a">18</span><SPAN class="a">19</SPAN>
<nav>20</nav><svg><g class="caption">21</g></svg><!-- a comment --><?pi x?><p title="tail">22</p></body></html>"""
SIMPLE_SELECTORS = [
    "div", "SPAN", ".caption", ".a.b", "span.a#c", "#share-box", "#c", "[id]", "[data-x]", "[class]",
    "[id=share-box]", "[class='']", "[id='']", "[id^=div-gpt-ad]", "[id^='']", "[id$=gpt-ad]", "[id$='']",
    "[style*='height:0;opacity:0;']", "[style*='']", "[class*=caption]", "[CLASS*=apti]", "[title=tail]",
    "p[title]", "span[data-x$=z].a", "nav, .caption, [id^=div-gpt-ad]", "g.caption",
]


@pytest.mark.parametrize("css", SIMPLE_SELECTORS)
def test_simple_selectors_select_what_parsel_selects(css):
    """On markup where whitespace, case and empty values matter, markup.select finds what
    parsel finds, in document order, under the root and under inner nodes."""
    from cable_crawler.extraction.pages.markup import select

    page = response(SIMPLE_MARKUP)
    root = page_root(page)
    assert _signature(select(root, css)) == _signature(page.css(css)), css
    for ours, theirs in _pairs(select(root, "div, span, body"), page.css("div, span, body")):
        assert _signature(select(ours, css)) == _signature(theirs.css(css)), css
    assert select(root, css) or css in ("[class='']", "[id^='']", "[id$='']", "[style*='']"), css  # cases that find


# The teaser rule, as an XPath on libxml2's tree: the oracle of the test below.
TEASER_ANCESTOR = (
    "ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' related-articles ')"
    " or contains(@class, 'related-articles-carousel') or contains(@class, 'fp_choose_placement_related_posts')"
    " or contains(@class, 'excerpt-content') or contains(@class, 'post-content--after')"
    " or contains(@class, 'related_posts') or self::nav or self::footer or self::header]"
)


def test_teaser_lookup_agrees_with_the_teaser_ancestor_query():
    """teaser_lookup() (each ancestor tested once per page) says what TEASER_ANCESTOR
    says on libxml2's tree, for every element of every saved page and of tricky markup, asked
    in document order and in reverse (what it remembers of an ancestor must not leak)."""
    from collections import Counter

    from cable_crawler.extraction.pages.markup import select, teaser_lookup
    from saved_pages import saved_pages

    teaser_markup = TRICKY_MARKUP.replace("<b ", "<header><b ").replace("</b>", "</b></header>").replace("</body>", (
        '<div class="x related_postsy"><p>In</p></div><div class="related-articles2"><p>Out</p></div>'
        '<nav><span>In</span></nav><div class="excerpt-content--list"><a>In</a></div>'
        '<div class="x\trelated-articles\ny"><p><b>In</b></p></div><div class="related-articles\xa0x"><p>Out</p></div>'
        '<div class="Related-Articles"><p>Out</p></div><NAV><i>In</i></NAV><div class=""><p>Out</p></div>'
        '<div class="a"><header><p><span>In</span></p></header><p><span>Out</span></p></div></body>'))
    pages = [page.response() for page in saved_pages()] + [response(teaser_markup)]
    seen = 0
    for page in pages:
        # The two parsers build slightly different trees (HTML5 adds an empty <p> for a stray </p>):
        # the elements each finds in teaser blocks are compared by tag, class and id.
        theirs = Counter(_element_key(node) for node in page.xpath("//*")
                         if node.xpath(f"boolean({TEASER_ANCESTOR})").get() == "1")
        for order in (list, lambda nodes: list(reversed(nodes))):
            root = page_root(page)
            in_teaser = teaser_lookup()
            nodes = order(select(root, "*"))
            ours = Counter(_element_key(node) for node in nodes if in_teaser(node))
            assert ours == theirs, page.url
        seen += sum(theirs.values())
    assert seen > 100  # teaser blocks were there to find
    labelled = {node.text(): in_teaser(node) for node in select(root, "p, span, a, i, b")
                if node.text() in ("In", "Out")}
    assert labelled == {"In": True, "Out": False}



def test_every_teaser_class_holds_a_hint():
    # is_teaser_block searches a class value only when it holds a hint: a teaser class without
    # one would never be found.
    from cable_crawler.extraction.pages import markup

    for name in (markup._TEASER_CLASS_WORD, *markup._TEASER_CLASS_PARTS):
        assert any(hint in name for hint in markup._TEASER_CLASS_HINTS), name


@pytest.mark.parametrize("css, expected", [
    (".caption", ["1", "2", "3"]),  # class words split at HTML whitespace (form feed too; not a no-break space)
    (".Caption", ["6"]),            # a page with a doctype: class names match case-sensitively
])
def test_class_words_split_at_html_whitespace(css, expected):
    """Lexbor reads class values as browsers do: words split at space, tab, newline, form feed
    and carriage return (not at a no-break space), matched case-sensitively in a page with a
    doctype."""
    from cable_crawler.extraction.pages.markup import select

    markup = ('<!DOCTYPE html><html><body><div class="caption">1</div><div class=" caption\t x\n">2</div>'
              '<div class="x\x0ccaption">3</div><div class="caption\xa0x">4 (no-break space)</div>'
              '<div class="captions">5</div><div class="Caption">6</div></body></html>')
    found = [node.text() for node in select(page_root(response(markup)), css)]
    assert found == expected


def test_attribute_values_match_as_in_a_browser():
    """Attribute selectors compare values as the HTML standard says: without regard to case
    for the attributes it lists (rel, type...), exactly for the others (property)."""
    from cable_crawler.extraction.pages.markup import select

    root = page_root(response('<!DOCTYPE html><html><head><link rel="Canonical" href="/a/"><link rel="canonical"'
                              ' href="/b/"><meta property="OG:title" content="C"><meta property="og:title" content="D">'
                              '<link rel="alternate" type="Application/JSON" href="/e/"></head></html>'))
    assert select(root, "link[rel=canonical]::attr(href)") == ["/a/", "/b/"]
    assert select(root, "meta[property='og:title']::attr(content)") == ["D"]
    assert select(root, 'link[rel=alternate][type="application/json"]::attr(href)') == ["/e/"]


def _head_queries() -> list[str]:
    source = (TESTS.parent / "cable_crawler" / "extraction" / "pages" / "layouts" / "base.py").read_text("utf-8")
    queries = re.findall(r"""find(?:_first)?_in_head\((?:f?)("[^"]+"|'[^']+')""", source)
    assert len(queries) >= 12
    return [query[1:-1] for query in queries]


def _found(nodes) -> list:
    return [node if isinstance(node, str) or node is None else node.mem_id for node in nodes]  # the same element


HEAD_PAGES = {
    "all in the head": ("<!DOCTYPE html><html><head><title>T</title><meta property='og:title' content='A'>"
                        "<link rel='canonical' href='/x/'></head><body><p>text</p></body></html>", "head"),
    "a meta in the body": ("<html><head><meta property='og:title' content='A'></head><body>"
                           "<meta property='og:title' content='B'><p>text</p></body></html>", "root"),
    "a link after the body": ("<html><head></head><body><p>text</p></body></html><link rel='canonical' href='/y/'>",
                              "root"),
    "an svg title": ("<html><head><title>T</title></head><body><svg><title>Icon</title></svg></body></html>", "root"),
    "head tags after </head>": ("<html><head></head><meta property='og:title' content='C'><title>T</title>"
                                "<body><p>text</p></body></html>", "head"),
    "a frameset": ("<html><head><title>T</title></head><frameset><frame src='a.html'></frameset></html>", "root"),
    "no head or body tags": ("<title>T</title><meta name='author' content='A B'><p>text</p>", "head"),
}


@pytest.mark.parametrize("name", HEAD_PAGES)
def test_head_scope_is_the_head_only_when_nothing_outside_it_is_a_head_element(name):
    from cable_crawler.extraction.pages.markup import head_scope, select

    html, scope = HEAD_PAGES[name]
    root = page_root(response(html))
    assert head_scope(root).tag == ("head" if scope == "head" else "html")
    for css in _head_queries() + ["title", "meta", "link"]:
        assert _found(select(head_scope(root), css)) == _found(select(root, css)), (name, css)


def test_head_queries_find_in_the_head_what_they_find_in_the_page():
    from cable_crawler.extraction.pages.markup import head_scope, select
    from saved_pages import saved_pages

    for page in [page.response() for page in saved_pages()] + [response(TRICKY_MARKUP)]:
        root = page_root(page)
        for css in _head_queries():
            assert _found(select(head_scope(root), css)) == _found(select(root, css)), (css, page.url)


@pytest.mark.parametrize("css", ["meta p", "body::attr(class)", "metadata", "div.dek, meta", "meta > link"])
def test_a_query_of_other_elements_is_refused_in_the_head(css):
    from cable_crawler.extraction.pages.markup import head_query

    with pytest.raises(ValueError, match="not a query of the head"):
        head_query(css)


_BASE_PAGES = [
    b"<html><head><title>T</title></head><body>x</body></html>",
    b"<html><head><base href='/sub/'></head><body>x</body></html>",
    b"<html><head><BASE\tHREF=\"https://other.example/a/\"></head></html>",
    b"<html><head><bAsE href='/mixed-case/'></head></html>",
    b"<html><head><base target=_blank></head></html>",
    b"<!-- <base href='/commented/'> --><html></html>",
    b"<html><head>" + b"<meta name=x content=y>" * 800 + b"<base href='/late/'></head></html>",  # past 4,096 characters
    "<html><head><title>caf\u00e9 \u2019</title><base href='/utf8/'></head></html>".encode("utf-8"),
    "<html><head><base\u00a0href='/nbsp/'></head></html>".encode("utf-8"),
    b"<html><head>" + b"<meta name=x content=y>" * 100 + b"<base href='/mid/'></head></html>",  # 2,400 bytes in
    b"<html><head>" + b"x" * 4_069 + b"<base href='/cut/'></head></html>",  # starts before 4,096, ends after
    b"<html><head>" + b"x" * 4_084 + b"<base href='/at-the-end/'></head></html>",  # starts at 4,096
    # 4,200 bytes but 2,100 characters in: found in the first 4,096 characters
    ("<html><head><title>" + "\u00e9" * 2_100 + "</title><base href='/after-accents/'></head></html>").encode("utf-8"),
    "<html><head><base href='/wide/'></head></html>".encode("utf-16"),
    "<html><head><base href='/wide-no-bom/'></head></html>".encode("utf-16-be"),
]


@pytest.mark.parametrize("body", _BASE_PAGES)
@pytest.mark.parametrize("url, encoding", [
    ("https://foreignpolicy.com/2023/03/01/post/", "utf-8"),
    ("https://foreignpolicy.com/2023/03/01/post/", "cp1252"),
    ("https://foreignpolicy.com/2023/03/01/post/", "utf-16"),
    ("https://foreignpolicy.com/2023/03/01/caf%C3%A9 x/", "utf-8"),
])
def test_page_base_url_is_scrapys_base_url(body, url, encoding):
    from scrapy.utils.response import get_base_url

    from cable_crawler.extraction.pages.markup import page_base_url
    page = HtmlResponse(url=url, body=body, encoding=encoding)
    assert page_base_url(page) == get_base_url(HtmlResponse(url=url, body=body, encoding=encoding))


def test_page_base_url_of_the_saved_pages_is_scrapys():
    from scrapy.utils.response import get_base_url

    from cable_crawler.extraction.pages.markup import page_base_url
    from saved_pages import saved_pages
    for page in saved_pages():
        assert page_base_url(page.response()) == get_base_url(page.response()), page.url


def test_noscript_src_is_what_the_noscript_query_finds():
    from cable_crawler.extraction.pages.markup import select, select_first
    from saved_pages import saved_pages

    markup = ("<html><body><noscript><figure id=a><img src='/lazy.jpg'><img src='/in.jpg'></figure></noscript>"
              "<figure id=b><img data-src='/d.jpg'><noscript><img alt='no src'><img src='/n.jpg'></noscript></figure>"
              "<figure id=c><img src='/plain.jpg'></figure><div class='wp-caption'><noscript><img src=''></noscript>"
              "</div></body></html>")
    pages = [page.response() for page in saved_pages()] + [response(markup)]
    with_src = 0
    for page_response in pages:
        page = LAYOUTS["unknown"](page_response)
        for container in select(page.root, page.IMAGE_CONTAINERS):
            expected = select_first(container, "noscript img::attr(src)")
            assert page.noscript_src(select(container, "img")) == expected, page_response.url
            with_src += expected is not None
    assert with_src >= 4


_PROPERTIES_ASKED = ("og:title", "og:url", "og:image", "article:published_time", "article:modified_time",
                     "og:updated_time", "article:tag", "article:author")


@pytest.mark.parametrize("doctype", ["<!DOCTYPE html>", ""])
def test_head_properties_answer_as_lexbor_s_query(doctype):
    """find_in_head answers meta[property='X']::attr(content) from one query of the head's
    meta[property] elements: the same values, in the same order, as Lexbor's query of each, on
    every saved page and on markup where the value differs in case or spacing, repeats, has no
    content, or stands outside the head."""
    from cable_crawler.extraction.pages.markup import head_query, select
    from saved_pages import saved_pages

    tricky = (f"{doctype}<html><head><meta property='og:title' content='One'><meta property='OG:TITLE' content='Case'>"
              "<meta property=' og:title' content='Space'><meta property='og:title' content=''>"
              "<meta property='og:title'><meta property='og:title' property='og:url' content='Twice'>"
              "<meta PROPERTY='article:tag' content='Tag'><meta property='og:image' content='/a.jpg'></head>"
              "<body><meta property='og:url' content='/in-body/'><meta property='article:tag' content='Late'></body></html>")
    pages = [saved.response() for saved in saved_pages()] + [response(tricky), response(tricky.replace("<body>", "<body><p>"))]
    asked = 0
    for page_response in pages:
        page = LAYOUTS["unknown"](page_response)
        for name in _PROPERTIES_ASKED:
            css = f"meta[property='{name}']::attr(content)"
            expected = select(page.head, head_query(css))
            assert page.find_in_head(css) == expected, (name, page_response.url)
            assert page.find_first_in_head(css) == (expected[0] if expected else None)
            asked += bool(expected)
    assert asked > 40
    tricky_page = LAYOUTS["unknown"](response(tricky))
    assert tricky_page.find_in_head("meta[property='og:title']::attr(content)") == ["One", "", "Twice"]


@pytest.mark.parametrize("css, name", [
    ("meta[property='og:title']::attr(content)", "og:title"),
    ("meta[property=og:title]::attr(content)", None),  # other spellings: Lexbor's query
    ("meta[property='og:title']::attr(href)", None),
    ("meta[property='og:title']", None),
    ("meta[name=author]::attr(content), meta[property='article:author']::attr(content)", None),
])
def test_content_of_property_names_only_its_one_form(css, name):
    from cable_crawler.extraction.pages.markup import content_of_property

    assert content_of_property(css) == name


def test_find_keeps_a_query_s_elements_for_the_page_and_hands_out_copies():
    from cable_crawler.extraction.pages.markup import first_node, select
    from saved_pages import saved_pages

    for saved in saved_pages():
        page = LAYOUTS["unknown"](saved.response())
        for queries in (page.IMAGE_SCOPES, page.GENERIC_BODY_CONTAINERS, page.GENERIC_BYLINES,
                        LAYOUTS["current"].BODY_CONTAINERS, LAYOUTS["fp2017"].BYLINES):
            assert _found([page.first_found(queries)]) == _found([first_node(page.root, queries, page.in_teaser)])
        for query in page.IMAGE_SCOPES + LAYOUTS["fp2017"].POST_IDS + ("body::attr(class)", "title::text"):
            assert _found(page.find(query)) == _found(select(page.root, query)), (query, saved.url)
        found = page.find("div")
        found.append("changed")
        assert "changed" not in page.find("div") and len(page._found) >= 5


@pytest.mark.parametrize("markup", [
    "<html><body class='single-post postid-7'><p>x</p></body></html>",
    "<p>no html, head or body tags</p>",
    "<body><p>x</p><body class='second postid-9'><p>y</p>",  # a second <body> adds its attributes
    "<html><body class='a'><svg><body class='in-svg'></body></svg><math><body class='m'></body></math></body></html>",
    "<html><body class='b'><template><body class='in-template'></body></template>"
    "<noscript><body class='in-noscript'></body></noscript><table><body class='t'></table></body></html>",
    "<!-- c --><html><head><body class='in-head'></head><body class='late'></body></html>",
    "<html><frameset><frame src=a></frameset><body class='after-frameset'></html>",
    "<html><body></body></html>",
    "",
    "<html><body class></body></html>",
])
def test_body_class_is_what_the_body_query_finds(markup):
    from cable_crawler.extraction.pages.markup import select
    from saved_pages import saved_pages

    for page_response in [saved.response() for saved in saved_pages()] + [response(markup)]:
        page = LAYOUTS["unknown"](page_response)
        expected = select(page.root, "body::attr(class)")
        assert page.body_class == (expected[0] if expected else None), markup


def test_teaser_links_and_headings_are_told_apart_by_tag():
    # related() runs the two queries as one and splits the answer by tag: each must select its
    # own tag only, and the split must give what the two queries give.
    from cable_crawler.extraction.pages.markup import select
    from saved_pages import saved_pages

    rail = ("<div class='related_posts'><a class='hed-heading' href='/a'><h3>A</h3></a><h3 class='hed'><a href='/b'>B"
            "</a></h3><h3 class='hed'>C<a class='hed-heading' href='/c'>c</a></h3><a href='/d'><span><h3 class='hed'>"
            "D</h3></span></a><svg><a href='/e'><h3>E</h3></a></svg></div>")
    pages = [page.response() for page in saved_pages()] + [response(f"<html><body>{rail}</body></html>")]
    page_object = LAYOUTS["unknown"]
    split = 0
    for page in pages:
        root = page_root(page)
        for block in select(root, page_object.RELATED_BLOCKS):
            links = select(block, page_object.TEASER_LINKS)
            headings = select(block, page_object.TEASER_HEADINGS)
            assert {node.tag for node in links} <= {"a"} and {node.tag for node in headings} <= {"h3"}
            both = select(block, f"{page_object.TEASER_LINKS}, {page_object.TEASER_HEADINGS}")
            assert _found([n for n in both if n.tag != "h3"]) == _found(links)
            assert _found([n for n in both if n.tag == "h3"]) == _found(headings)
            split += len(links) + len(headings)
    assert split > 20
