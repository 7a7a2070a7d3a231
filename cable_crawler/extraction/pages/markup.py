"""What every article page reader shares: reading the markup safely, within bounds.

The layout page objects (pages/layouts/) choose *which* nodes hold a field; the
functions here read nodes the same way for every layout: an element's visible text
(script/style are no text), links made absolute, the page's JSON-LD article, the body
blocks with the template's junk removed. PAGE_LIMITS bounds every loop over a
page's nodes (a hostile page can repeat a node 100,000 times) and PageCuts counts
what was left out; article_url() decides whether the canonical link can be trusted.
"""

from __future__ import annotations

import codecs
import json
import re
from collections import Counter, deque
from functools import lru_cache, partial
from urllib.parse import urljoin, urlsplit

from scrapy.http import TextResponse
from scrapy.utils.response import get_base_url
from selectolax.lexbor import LexborHTMLParser
from w3lib.encoding import read_bom

from cable_crawler.extraction.boundary import is_on_site
from cable_crawler.extraction.processors import (
    NON_TEXT_TAGS, canonical_url, clean_text, http_url, is_article_url, plain_http_url,
)

# Never article text, wherever they sit inside the body container.
BODY_JUNK = (
    "script", "style", "noscript", "iframe", "svg", "button", "nav", "aside", "form", "figure",
    "input", "select", "textarea", "template",
    ".fp_choose_placement_related_posts", ".fp-related-wrapper", ".related-articles",
    ".related-articles-carousel", ".related_posts", ".post-content--after",
    ".in-article-subscribe-container", ".newsletter-signup", ".share-links", "#share-box",
    "#fb-meta-like", ".wp-caption", ".wp-caption-text", ".gallery", ".wpse-gallery-wrapper",
    ".caption", ".content-ungated", ".editors-note-in-post--v2", ".myfp-article", ".more-text",
    ".fp-lightbox--overlay", ".author-photo", ".sidebar-box_right", ".hide-desktop-alt",
    ".hide-desktop-900", ".comment-count", ".comments-container", ".author-bio",
    ".author-bio-text", ".bio-no-photo", ".the-tags", ".piano-sticky-bar", ".paywall",
    "[id^=div-gpt-ad]", "[class*=sidebar-big-box-ad]", "[style*='height:0;opacity:0;']",
    ".FP-paywall--login", ".channel-header",
    # In-body furniture seen on FP pages (graphic chatter, newsletter units, pull quotes).
    ".graphic-chatter", ".newsletter-unit-signup", ".newsletter-unit-signup--shortcode-fallback",
    ".pull-quote", ".pull-quote-sidebar",
)

# Page readers work on Lexbor's HTML5 tree (selectolax): its CSS engine runs a selector in C
# over the tree and gives plain nodes. parsel's dialect is kept: `::text` (an element's own
# text nodes) and `::attr(name)` (an attribute's value) end a selector here.
_PSEUDO_RE = re.compile(r"::(?:(text)|attr\(\s*['\"]?([^'\")\s]+)['\"]?\s*\))\s*$")


def _split_group(css: str) -> list[str]:
    """The alternatives of a selector group (commas outside quotes, brackets and parentheses)."""
    parts, depth, quote, start = [], 0, None, 0
    for i, char in enumerate(css):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(css[start:i].strip())
            start = i + 1
    parts.append(css[start:].strip())
    return parts


@lru_cache(maxsize=None)
def query_parts(css: str) -> tuple[str, int, str | None]:
    """(the group without its pseudo-element, how many alternatives, None | "::text" | the attribute)."""
    alternatives, pseudos = [], set()
    for part in _split_group(css):
        match = _PSEUDO_RE.search(part)
        pseudos.add(None if match is None else "::text" if match.group(1) else match.group(2).lower())
        alternatives.append(part[:match.start()] if match else part)
    if len(pseudos) > 1:
        raise ValueError(f"alternatives with different pseudo-elements: {css!r}")
    pseudo = pseudos.pop()
    return ", ".join(alternatives), len(alternatives), pseudo


def _own_texts(node) -> list[str]:
    return [child.text_content for child in node.iter(include_text=True) if child.is_text_node]


def select(node, css: str) -> list:
    """The nodes (or strings, for ::text and ::attr()) that `css` selects under `node`
    (itself included), in document order, each once."""
    group, alternatives, pseudo = query_parts(css)
    return pseudo_values(elements(node, group, alternatives), pseudo)


def elements(node, group: str, alternatives: int = 2) -> list:
    """The elements a selector group without pseudo-element (query_parts) selects under `node`."""
    found = node.css(group)
    if alternatives > 1 and len(found) > 1:  # Lexbor gives an element once per alternative it matches
        seen = set()
        found = [n for n in found if not (n.mem_id in seen or seen.add(n.mem_id))]
    return found


def pseudo_values(found: list, pseudo: str | None) -> list:
    """What a query's pseudo-element gives of the elements it found: the elements themselves
    (None, a new list), their own texts ("::text"), or an attribute's values."""
    if pseudo is None:
        return list(found)
    if pseudo == "::text":
        return [text for n in found for text in _own_texts(n)]
    return [value for n in found if (value := attr(n, pseudo)) is not None]


_HEAD_TAGS = ("meta", "link", "title")


@lru_cache(maxsize=None)
def head_query(css: str) -> str:
    """`css`, checked to select meta, link and title elements only (what head_scope holds):
    each alternative one compound selector on one of those tags."""
    for alternative in _split_group(css):
        bare = re.sub(r"\[[^\]]*\]|\([^)]*\)", "", alternative)  # attribute tests, pseudo arguments
        if not re.fullmatch(r"(?:meta|link|title)(?:[.#:][\w-]+|::[\w-]+)*", bare):
            raise ValueError(f"not a query of the head's meta, link or title elements: {alternative!r}")
    return css


_PROPERTY_CONTENT_RE = re.compile(r"meta\[property='([^'\\]+)'\]::attr\(content\)")


@lru_cache(maxsize=None)
def content_of_property(css: str) -> str | None:
    """X when `css` is `meta[property='X']::attr(content)` (a query a page object answers from
    its head_properties), else None."""
    match = _PROPERTY_CONTENT_RE.fullmatch(css)
    return None if match is None else match[1]


def head_scope(root):
    """Where a page's meta, link and title elements are: its <head> when no element outside
    it is one, else the whole page (`root`: page_root). Real pages keep them all in the head,
    a seventh of the real 2021 page's elements, so a query of them walks a seventh of the
    tree; finding out costs one walk of the body that stops at the first such element.
    (The HTML5 parser puts every element but <html> in the <head> or the <body>.)"""
    children = list(root.iter())  # element children
    if [child.tag for child in children] != ["head", "body"]:
        return root  # no head, a frameset...
    head, body = children
    return root if body.css_matches(", ".join(_HEAD_TAGS)) else head


def select_first(node, css: str):
    """The first result of `css` under `node`, or None."""
    group, _, pseudo = query_parts(css)
    if pseudo is None:
        return node.css_first(group)
    found = select(node, css)
    return found[0] if found else None


_UTF8_NAMES = ("utf-8", "utf8")


def page_root(response):
    """The root element of a response's HTML5 tree (Lexbor). A UTF-8 page is handed over as
    its bytes (BOM dropped, as response.text drops it), which Lexbor reads as UTF-8: giving it
    the text would encode it again (0.12 ms on the real 2021 page, a quarter of its parse).
    A page that would cost the parser too much is refused (MarkupTooCostly)."""
    if response.encoding.lower().replace("_", "-") in _UTF8_NAMES:
        markup = response.body.removeprefix(codecs.BOM_UTF8)
    else:
        markup = response.text
    check_parse_work(markup)
    return LexborHTMLParser(markup).root


# Lexbor builds the tree as browsers do but without their cap on its depth (Blink flattens
# below 512), and some of its steps walk the open elements: a start tag inside N of them costs
# it O(N) (200,000 nested <div>s: 49 s; 4,900 nested <div>s then 100,000 <p>s: 15 s), and an
# <option> O(options before it in the list) (100,000 options: 32 s), each in one C call that no
# signal interrupts (a 16 MB page: hours). parse_work() counts those steps from the page's
# tags; a page over MAX_PARSE_WORK is refused. Real pages hold ~1,000-2,100 tags a few dozen
# deep (~50,000 steps); a page with fewer tags than sqrt(MAX_PARSE_WORK) stays under it and is
# not scanned.
MAX_PARSE_WORK = 30_000_000  # ~1 s of the parser's time at the slowest step measured (30 ns)
_UNSCANNED_TAGS = 5_000  # (5,000 tags nested 5,000 deep: 12.5 million steps)


class MarkupTooCostly(ValueError):
    """A page whose markup would cost the HTML5 parser more than MAX_PARSE_WORK steps: not parsed."""


# Elements that never hold others (void), or that the parser closes when a sibling starts
# wherever they are (<p><p> are two paragraphs side by side), and raw text whose content is no tags.
_VOID = frozenset(b"area base br col embed hr img input link meta source track wbr param keygen basefont bgsound "
                  b"frame image".split())
_NOT_NESTING = _VOID | frozenset(b"p li dt dd option tr td th thead tbody tfoot colgroup caption html head "
                                 b"body".split())
_RAW_TEXT = frozenset(b"script style textarea title xmp iframe noembed noframes".split())
# A comment's start, or a tag: `<`, a name, whatever comes before the next `>`, and that `>` if
# any. Every part is greedy and the last optional, so a match never backtracks: one scan of the
# page whatever it holds (a page of 100,000 `<a` without a `>` included).
_TAG_RE = re.compile(rb"<!--|<(/?)([a-zA-Z][^\s/>]*)([^>]*)(>?)")


def parse_work(markup: bytes, limit: int | None = None) -> tuple[int, int]:
    """(steps, depth): the steps the HTML5 parser's walks of its open elements would take on the
    page (for each start tag, the elements open around it; for each <option>, the options before
    it in its list), and how deep its elements would nest, estimated from its tags (the parser's
    rules for optional end tags, void and raw-text elements and stray end tags, not its
    formatting-element repairs). With `limit`, stops as soon as the steps pass it."""
    open_tags: list[bytes] = []
    counts: dict[bytes, int] = {}
    steps = deepest = options = 0
    position = 0
    while (match := _TAG_RE.search(markup, position)) is not None:
        if match.group(2) is None:  # a comment, to its end
            end = markup.find(b"-->", match.end())
            if end < 0:
                break
            position = end + 3
            continue
        if not match.group(4):
            break  # a tag the page ends in: the parser drops it, and no tag can follow
        position = match.end()
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            if counts.get(name):  # else a stray end tag, which the parser ignores
                while True:
                    popped = open_tags.pop()
                    counts[popped] -= 1
                    if popped == name:
                        break
            if name == b"select":
                options = 0
            continue
        steps += len(open_tags)
        if name == b"option":
            steps += options
            options += 1
        elif name == b"select":
            options = 0
        if limit is not None and steps > limit:
            break
        if name in _RAW_TEXT:
            end = re.compile(rb"</" + re.escape(name) + rb"[\s/>]", re.I).search(markup, position)
            position = end.end() if end else len(markup)
            continue
        self_closing = match.group(3).endswith(b"/")
        if name in _NOT_NESTING or (self_closing and (counts.get(b"svg") or counts.get(b"math"))):
            continue
        open_tags.append(name)
        counts[name] = counts.get(name, 0) + 1
        deepest = max(deepest, len(open_tags))
    return steps, deepest


def less_than_signs(markup: bytes) -> int:
    """markup.count(b"<"): bytes.count reads one byte at a time (39 µs on the real 2021 page),
    bytes.replace finds each "<" with memchr (12 µs, the copy included)."""
    return len(markup) - len(markup.replace(b"<", b""))


def check_parse_work(markup: bytes | str) -> None:
    """MarkupTooCostly for a page whose markup (bytes, or the text of a page in another encoding)
    would cost the parser more than MAX_PARSE_WORK steps (parse_work); a page with fewer tags
    than _UNSCANNED_TAGS is not scanned (nor encoded for the scan)."""
    text = isinstance(markup, str)
    if (markup.count("<") if text else less_than_signs(markup)) > _UNSCANNED_TAGS:
        steps, depth = parse_work(markup.encode("utf-8", "replace") if text else markup, limit=MAX_PARSE_WORK)
        if steps > MAX_PARSE_WORK:
            raise MarkupTooCostly(f"markup that would cost the HTML5 parser more than {MAX_PARSE_WORK:,} steps"
                                  f" (elements nested {depth:,} deep, or a list of too many options): not parsed")


# Teaser blocks: their images, links and bylines belong to other articles. A tag name, a word of
# the class value (split where HTML splits it: space, tab, newline, form feed, return), or a part
# of the value anywhere.
_TEASER_TAGS = ("nav", "footer", "header")
_TEASER_CLASS_WORD = "related-articles"
_TEASER_CLASS_PARTS = ("related-articles-carousel", "fp_choose_placement_related_posts", "excerpt-content",
                       "post-content--after", "related_posts")


# The word or a part, in one search (each ancestor of every node read is asked).
_TEASER_CLASS_RE = re.compile(
    rf"(?:^|[ \t\n\f\r]){re.escape(_TEASER_CLASS_WORD)}(?:$|[ \t\n\f\r])|"
    + "|".join(map(re.escape, _TEASER_CLASS_PARTS)))
# A piece that the word and every part hold: a value without any of them is no teaser's. The
# search tries its alternatives at every character (2 µs on a 90-character <body> class, ~10
# ancestors a page); a substring test costs 0.1 µs.
_TEASER_CLASS_HINTS = ("related", "excerpt-content", "post-content--after")


def is_teaser_block(node) -> bool:
    """Whether an element is a teaser block: its images, links and bylines belong to other articles."""
    if node.tag in _TEASER_TAGS:
        return True
    value = attr(node, "class")
    return (bool(value) and any(map(value.__contains__, _TEASER_CLASS_HINTS))
            and _TEASER_CLASS_RE.search(value) is not None)


def ancestors(node):
    """The elements above a node, nearest first."""
    ancestor = node.parent
    while ancestor is not None and ancestor.is_element_node:
        yield ancestor
        ancestor = ancestor.parent


class AncestorLookup:
    """Whether an ancestor of a node passes `test`, for the nodes of one page: each ancestor is
    tested once, and what was found of it holds for every node below it (a page asks about
    many nodes under the same few blocks). Ancestors are looked at up to `top` (itself
    tested), or up to the root."""

    def __init__(self, test, top=None):
        self.test = test
        self.top = None if top is None else top.mem_id
        self._known: dict = {}  # an ancestor's mem_id -> whether it or one above it (to top) passes

    def __call__(self, node) -> bool:
        below, known, found = [], self._known, False
        ancestor = node.parent  # ancestors() inlined: ~25 lookups a page; through it the real page read 3-7 % slower
        while ancestor is not None and ancestor.is_element_node:
            key = ancestor.mem_id
            answer = known.get(key)
            if answer is not None:
                found = answer
                break
            below.append(key)
            if self.test(ancestor):
                found = True
                break
            if key == self.top:
                break
            ancestor = ancestor.parent
        for key in below:
            known[key] = found
        return found


def teaser_lookup() -> AncestorLookup:
    """Whether a node of one page lies in a teaser block (an ancestor is_teaser_block), each
    ancestor tested once."""
    return AncestorLookup(is_teaser_block)


# What a real FP article page has, with ample room: beyond these a page is broken or
# hostile, and reading all of it would hold the crawl for minutes (every page is read
# on the reactor thread). The excess is cut, counted in cable/page_limits/<what> and
# logged; the article is still produced from what was kept.
PAGE_LIMITS = {
    "authors": 50,         # per source (byline links, byline text, meta, JSON-LD, bios); FP bylines name 1-4
    "author_candidates": 250,  # all five sources together = the schema's authors maxItems
    "images": 200,         # photo essays have a few dozen figures
    "body_blocks": 2000,   # long reads have ~150 paragraphs
    "related": 200,        # teaser rails show ~10 links
    "jsonld_nodes": 500,   # a Yoast @graph has ~10 nodes; counted over all blocks
    "jsonld_blocks": 20,   # FP pages carry 1-3 ld+json scripts
    "tags": 100,           # a few tags per article
    "candidates": 100,     # headline, dek and <time> elements looked at
}


class PageCuts(Counter):
    """What a page reader left out of one page: {what: items cut} (the spider reports it)."""

    def capped(self, items, what: str, limit_name: str | None = None):
        """The first PAGE_LIMITS[limit_name or what] of `items` (a list); the rest counted as cut."""
        limit = PAGE_LIMITS[limit_name or what]
        if len(items) > limit:
            self[what] += len(items) - limit
            return items[:limit]
        return items


ARTICLE_TYPES = ("NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle")
# json.loads(raw, strict=False), its decoder built once (json.loads builds one per call when
# given an option): control characters are allowed inside strings, as WordPress writes them.
_JSON_LD_DECODER = json.JSONDecoder(strict=False)


def jsonld_article(sel, cuts: PageCuts | None = None) -> dict:
    """The NewsArticle object from the page's JSON-LD blocks ({} if none parses).
    A block that does not parse, or nests too deep for the parser (RecursionError),
    is skipped: the article is still read from the markup."""
    cuts = PageCuts() if cuts is None else cuts
    budget = PAGE_LIMITS["jsonld_nodes"]
    for raw in cuts.capped(select(sel, 'script[type="application/ld+json"]::text'), "jsonld_blocks"):
        try:
            if raw.startswith("\ufeff"):
                raise ValueError("a BOM before JSON")  # (as json.loads refuses one)
            data = _JSON_LD_DECODER.decode(raw)
        except ValueError:
            continue
        except RecursionError:
            cuts["jsonld_too_deep"] += 1
            continue
        # Breadth-first and iterative: only @graph lists are descended into.
        queue = deque(data if isinstance(data, list) else [data])
        while queue:
            if budget <= 0:
                cuts["jsonld_nodes"] += len(queue)
                return {}
            budget -= 1
            node = queue.popleft()
            if not isinstance(node, dict):
                continue
            graph = node.get("@graph") or []
            queue.extend(graph if isinstance(graph, list) else [graph])
            kind = node.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(isinstance(k, str) and k in ARTICLE_TYPES for k in kinds):
                return node
    return {}


def not_in_teaser(nodes, in_teaser) -> list:
    """The nodes that do not lie in a teaser block (`in_teaser`: a page's teaser_lookup())."""
    return [n for n in nodes if not in_teaser(n)]


def first_node(node, queries, in_teaser, find=None):
    """The first node that a query finds under `node` outside teaser blocks, the queries tried
    in order. `find(query)`: how a query is asked, if not select(node, query) (a page object
    passes its find, which keeps what each query found)."""
    find = partial(select, node) if find is None else find
    # Stops at the first hit: a hostile page can repeat a selector's match 100,000 times.
    return next((found for query in queries for found in find(query) if not in_teaser(found)), None)


_NON_TEXT = frozenset(NON_TEXT_TAGS)
_SPACING_OR_NON_TEXT_TAGS = frozenset(("br", *NON_TEXT_TAGS))
_SPACING_OR_NON_TEXT = ", ".join(sorted(_SPACING_OR_NON_TEXT_TAGS))
_SMALL_NODE = 12  # elements (and comments): what a headline, a byline link, a caption holds


def holds_spacing_or_code(node) -> bool:
    """Whether the node is or holds a <br> or a code element (NON_TEXT_TAGS). A Lexbor query
    costs ~1.3 µs before it starts: a small node's elements are looked at here, one by one,
    and only a larger node is asked of Lexbor."""
    for seen, item in enumerate(node.traverse()):  # the node itself first, then its elements in order
        if item.tag in _SPACING_OR_NON_TEXT_TAGS:
            return True
        if seen == _SMALL_NODE:
            return node.css_first(_SPACING_OR_NON_TEXT) is not None
    return False


def visible_text(node, skipped=frozenset()) -> str:
    """The text nodes of an element (itself and its descendants) that are not inside a
    script/style/noscript/template element lying within it (the element itself included),
    nor inside a node whose mem_id is in `skipped`, in document order, with a space for
    each <br> below it. Comments have no text."""
    if not skipped and not holds_spacing_or_code(node):
        return node.text(deep=True, separator="")  # the common case: every text node, in C
    parts = []
    stack = [(node, False)]
    while stack:  # iterative: a hostile page nests elements thousands deep
        item, hidden = stack.pop()
        if item.is_text_node:
            if not hidden:
                parts.append(item.text_content)
            continue
        if not item.is_element_node or item.mem_id in skipped:
            continue
        tag = item.tag
        if tag == "br" and item is not node:
            parts.append(" ")
        hidden = hidden or tag in _NON_TEXT
        stack.extend((child, hidden) for child in reversed(list(item.iter(include_text=True))))
    return "".join(parts)


def node_text(node) -> str:
    """Visible text of an element, as a reader sees it: <br> counts as a space, inline tags
    do not split words, script/style/noscript/template content is no text (a byline's
    tracking snippet), whitespace runs are one space. Which text nodes are visible is a
    question of the markup, so it is read here; clean_text() is idempotent, so the
    loader's processors, which clean every value again, see the same text."""
    return clean_text(visible_text(node))


def attr(node, name: str) -> str | None:
    """An attribute's value: None without the attribute, "" for one without a value."""
    return node.attrs.sget(name, None)


# Encodings in which every ASCII character is its own byte and no other character holds one.
_ASCII_BYTE_ENCODINGS = frozenset({"utf-8", "cp1252", "iso8859-1", "ascii"})
_BASE_TAG_RE = re.compile(rb"<base", re.IGNORECASE)  # searched within bounds: faster than a lower-cased copy
_BASE_SCAN = 4_096  # characters of the page get_base_url reads


@lru_cache(maxsize=64)
def _codec_name(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def page_base_url(response) -> str:
    """scrapy.utils.response.get_base_url(response): the page's <base href> made absolute, else
    its URL. Scrapy decodes the whole page for it (response.text; 34 µs on the real 2021
    page, which Lexbor reads as bytes) to search the first 4,096 characters: where those
    characters' bytes (at most 16,384; 4,096 when these are all ASCII, one byte a character)
    hold no "<base", there is no base to find."""
    if not isinstance(response, TextResponse):
        return response.url
    body = response.body
    if (_codec_name(response.encoding) in _ASCII_BYTE_ENCODINGS
            and read_bom(body)[0] in (None, "utf-8")  # (a UTF-16/32 BOM decides response.text's codec)
            and not _BASE_TAG_RE.search(body, 0, _BASE_SCAN if body[:_BASE_SCAN].isascii() else 4 * _BASE_SCAN)
            and plain_http_url(response.url)):
        return response.url  # (get_base_url gives safe_url_string(url): a plain URL is its own)
    return get_base_url(response)


def join_url(base: str, href: str) -> str:
    """urljoin(base, href); a plain absolute URL (processors.plain_http_url) is its own answer."""
    return href if plain_http_url(href) else urljoin(base, href)


def absolute_url(urljoin, href) -> str | None:
    """The canonical absolute http(s) URL of a link, or None for javascript:, bad hosts..."""
    if not isinstance(href, str) or not href.strip():
        return None
    try:
        return http_url(urljoin(href.strip()))
    except ValueError:
        return None


def ld_text(value) -> str | None:
    """A JSON-LD value that should be text: anything else (objects, numbers) is ignored."""
    return value if isinstance(value, str) else None


_BODY_JUNK = ", ".join(BODY_JUNK)
# Lexbor walks the container once per alternative (~1.6 µs each on a fixture page, ~5 µs on the
# real 2021 page): the 38 plain class alternatives are found with one [class] query instead,
# each element's words looked up in a set; the tags, ids and attribute tests stay Lexbor's.
_JUNK_CLASSES = frozenset(junk[1:] for junk in BODY_JUNK if re.fullmatch(r"\.[\w-]+", junk))
_JUNK_CLASSES_LOWER = frozenset(name.lower() for name in _JUNK_CLASSES)
_JUNK_NOT_CLASSES = ", ".join(junk for junk in BODY_JUNK if junk[1:] not in _JUNK_CLASSES)
_CLASS_WORD_RE = re.compile(r"[^ \t\n\f\r]+")  # HTML splits a class value at ASCII whitespace only


_BY_MODE = "by the document's mode"  # (_junk_class_value's third answer)


def _junk_class_value(value: str):
    """Whether a class value holds a junk class word (True, False), or _BY_MODE: only if the
    page is in quirks mode."""
    # Every HTML word of the value is a word of str.split's, so a miss here is a miss there.
    if _JUNK_CLASSES_LOWER.isdisjoint(value.lower().split()):
        return False
    words = _CLASS_WORD_RE.findall(value)
    if not _JUNK_CLASSES.isdisjoint(words):
        return True
    return _BY_MODE if not _JUNK_CLASSES_LOWER.isdisjoint(word.lower() for word in words) else False


def junk_elements(container) -> list:
    """The elements under `container` (itself included) that BODY_JUNK selects: what
    select(container, _BODY_JUNK) finds, in 20 Lexbor walks of the container instead of 57 (the
    19 other alternatives, and one [class] query for the 38 classes). A class word that is junk
    only when the page is in quirks mode (where Lexbor compares classes without case: "Caption"
    for .caption) has the whole group asked of Lexbor, which knows the mode."""
    found = elements(container, _JUNK_NOT_CLASSES)
    verdicts: dict = {}  # a class value -> whether it makes junk (elements share a few values)
    for node in container.css("[class]"):
        value = attr(node, "class")
        junk = verdicts.get(value)
        if junk is None:
            junk = verdicts[value] = _junk_class_value(value)
        if junk:
            if junk is _BY_MODE:
                return select(container, _BODY_JUNK)
            found.append(node)
    return found


_BLOCK_KINDS = "p, h2, h3, h4, li, blockquote"
_BLOCK_SCAN = 10 * PAGE_LIMITS["body_blocks"]  # nested blocks (a <p> in an <li>) are found, then dropped


def _above(nodes, top) -> set:
    """The mem_ids of the elements between each node and `top` (top included, the nodes not):
    each element is visited once, however many of the nodes lie below it."""
    found, top_id = set(), top.mem_id
    for node in nodes:
        ancestor = node.parent  # (ancestors() inlined, as in AncestorLookup: ~150 steps on the real page)
        while ancestor is not None and ancestor.is_element_node:
            key = ancestor.mem_id
            if key in found:
                break
            found.add(key)
            if key == top_id:
                break
            ancestor = ancestor.parent
    return found


def body_blocks(container, cuts: PageCuts | None = None) -> list[str]:
    """Paragraph texts of the body container: its text blocks (p, h2-h4, li, blockquote) that
    are not inside another block, a blockquote only when it holds no paragraph, with the
    junk (BODY_JUNK) and all it holds left out, its tail text kept."""
    cuts = PageCuts() if cuts is None else cuts
    junk = junk_elements(container)
    junk_ids = {node.mem_id for node in junk}
    if container.mem_id in junk_ids:
        return []  # the container itself is junk
    in_junk = AncestorLookup(lambda node: node.mem_id in junk_ids, top=container)
    holds_junk = _above(junk, container)  # their text skips the junk
    blocks = [node for node in container.css(_BLOCK_KINDS) if node.mem_id not in junk_ids and not in_junk(node)]
    has_quote = any(node.tag == "blockquote" for node in blocks)  # (else nobody asks what holds a <p>)
    holds_paragraph = _above((node for node in blocks if node.tag == "p"), container) if has_quote else set()
    if len(blocks) > _BLOCK_SCAN:
        cuts["body_blocks"] += len(blocks) - _BLOCK_SCAN
        blocks = blocks[:_BLOCK_SCAN]
    in_block = AncestorLookup(lambda node: node.tag in ("p", "li"), top=container)  # a <p> in an <li> is its text
    kept = [node for node in blocks if not in_block(node)
            and not (node.tag == "blockquote" and node.mem_id in holds_paragraph)]
    # A block with no junk, <br> or code below it is all text: Lexbor joins it in C, without
    # visible_text's own query (asked once here for the container, not once per block).
    needs_walk = holds_junk | _above(container.css("br"), container)  # (script, style... are junk)
    return [clean_text(visible_text(node, junk_ids if node.mem_id in holds_junk else frozenset())
                       if node.mem_id in needs_walk else node.text(deep=True, separator=""))
            for node in cuts.capped(kept, "body_blocks")]


def article_url(canonical: str | None, fetched_url: str, base_url: str | None = None,
                other_pages=frozenset()) -> tuple[str, str | None]:
    """The URL an article is written under: its canonical link when that can be trusted,
    else the URL it was fetched from. Returns (url, why the canonical was not used), the
    reason None when it was used or there was none. A canonical is trusted when it is
    an http(s) URL on the crawled site (host *and* port; base_url, else the fetched URL's
    site), has an article's shape (not the home page, a channel, tag or author page: a
    common SEO-plugin bug points every post there), and is not another page this crawl
    fetches (`other_pages`: two pages of the crawl are two articles, or duplicates that
    their id and fingerprint reveal; one must not take the other's URL)."""
    fetched = canonical_url(fetched_url)
    if canonical is None or not str(canonical).strip():
        return fetched, None
    url = http_url(canonical)
    if url is None:
        return fetched, "not an http(s) URL"
    if url == fetched:
        return fetched, None  # (before the other_pages test: the page itself may be among them)
    if not is_on_site(url, base_url or f"{urlsplit(fetched).scheme}://{urlsplit(fetched).netloc}"):
        return fetched, "not on the crawled site"
    if not is_article_url(url):
        return fetched, "not an article URL"
    if url in other_pages:
        return fetched, "another page of this crawl"
    return url, None
