"""What every article page reader shares: reading the markup safely, within bounds.

The layout page objects (pages/layouts/) choose *which* nodes hold a field; the
functions here read nodes the same way for every layout: an element's visible text
(script/style are no text), links made absolute, the page's JSON-LD article, the body
blocks with the template's junk removed. PAGE_LIMITS bounds every loop over a
page's nodes (a hostile page can repeat a node 100,000 times) and PageCuts counts
what was left out; article_url() decides whether the canonical link can be trusted.
"""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from copy import deepcopy
from functools import lru_cache
from urllib.parse import urlsplit

from cssselect import parser as css_parser
from lxml import etree
from parsel import Selector
from parsel.csstranslator import HTMLTranslator
from parsel.selector import create_root_node
from scrapy.utils.response import get_base_url

from cable_crawler.extraction.boundary import is_on_site
from cable_crawler.extraction.processors import NON_TEXT_TAGS, canonical_url, clean_text, http_url, is_article_url

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

# Page readers work on the parsed tree's lxml elements with the queries below compiled
# once (lxml.etree.XPath): parsel's Selector.css()/xpath() translate, compile and wrap
# every result in a Selector on each call, which was most of the time an article took.
# CSS is translated by parsel's own translator, so a query selects the same nodes.
_CSS = HTMLTranslator()


@lru_cache(maxsize=None)
def compiled(css: str, prefix: str = "descendant-or-self::") -> etree.XPath:
    """The CSS query (parsel's dialect: ::text, ::attr(name)) as a compiled XPath; called
    on an element, it returns what Selector.css() would, as elements and plain strings."""
    return etree.XPath(_CSS.css_to_xpath(css, prefix=prefix), smart_strings=False)


def select(node, css: str) -> list:
    """The nodes (or strings, for ::text and ::attr()) that `css` selects under `node`."""
    return compiled(css)(node)


def select_first(node, css: str):
    """The first result of `css` under `node`, or None (Selector.css(...).get() for strings)."""
    found = compiled(css)(node)
    return found[0] if found else None


def page_root(response) -> etree._Element:
    """The parsed tree of an HTML response: parsel's parse (its function, parser options and
    text), with lxml.etree's plain elements instead of lxml.html's. lxml.html finds each
    element's class through a Python function whenever an element becomes a Python object
    (~400 times an article page: ~10% of its reading); the readers use no lxml.html method."""
    return create_root_node(response.text, etree.HTMLParser, base_url=get_base_url(response))


def drop_tree(node) -> None:
    """Removes an element and its content, keeping its tail text (lxml.html's drop_tree(),
    for plain lxml.etree elements)."""
    parent = node.getparent()
    if node.tail:
        previous = node.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + node.tail
        else:
            previous.tail = (previous.tail or "") + node.tail
    parent.remove(node)


def element(node):
    """The lxml element of a parsel Selector (or the element itself)."""
    return node.root if isinstance(node, Selector) else node


# In libxml2 a query that tests an attribute costs ~0.15 us per element it looks at: a
# class selector without a tag name (.related-articles) scans a page in ~150 us, ten times
# a query by tag name. Vocabulary reads a page's class and id values once, with the tag
# names that carry them (one walk of the page), and plans each selector for that page:
# - an alternative that needs a class or id that no value contains cannot match: it is
#   not run (other eras' selectors, junk a page does not carry);
# - a tagless part (.dek, #art-body) is asked by the tag names of the elements whose
#   class (id) value holds that word (p.dek): the same elements, found by tag first.
# Both only ever leave out what cannot match: the result is the selector's own, in
# document order (tests/test_layouts.py checks it against the plain query on real pages).
_POSITIVE_MATCHES = ("=", "~=", "^=", "$=", "*=", "|=")  # each implies the value is in the attribute
_COMPOUND_PARTS = (css_parser.Class, css_parser.Hash, css_parser.Attrib, css_parser.Pseudo, css_parser.Function,
                   css_parser.Negation, css_parser.Relation)
_MAX_TAGS = 4  # a tagless part asked by more tag names than this is run as it is


def _compound_needs(tree) -> tuple[list, css_parser.Element | None]:
    """The (attribute, text) pairs an element matching one compound selector (no combinator)
    must carry in its class or id value, and the compound's type selector (None: unknown
    parts). Only what every match needs: nothing inside :not() or :has()."""
    needs = []
    while isinstance(tree, _COMPOUND_PARTS):
        if isinstance(tree, css_parser.Class):
            needs.append(("class", tree.class_name))
        elif isinstance(tree, css_parser.Hash):
            needs.append(("id", tree.id))
        elif (isinstance(tree, css_parser.Attrib) and tree.attrib in ("class", "id") and tree.namespace is None
              and tree.operator in _POSITIVE_MATCHES and tree.flag is None and tree.value is not None):
            needs.append((tree.attrib, tree.value.value))
        tree = tree.selector
    return needs, tree if isinstance(tree, css_parser.Element) else None


def _compounds(tree) -> list:
    """The compound selectors of a parsed selector, left to right."""
    if isinstance(tree, css_parser.CombinedSelector):
        return _compounds(tree.selector) + _compounds(tree.subselector)
    return [tree]


@lru_cache(maxsize=None)
def _alternatives(css: str) -> tuple:
    """Each alternative of a selector group: (its parsed selector, per compound: its needs,
    whether it has no tag name, its tag name or None), or None when the group is not
    parsed here (then it is run as it is)."""
    try:
        parsed = css_parser.parse(css)
    except css_parser.SelectorError:
        return None
    alternatives = []
    for selector in parsed:
        compounds = []
        for compound in _compounds(selector.parsed_tree):
            needs, element_selector = _compound_needs(compound)
            tagless = element_selector is not None and element_selector.element is None and bool(needs)
            tag = _bare_tag(element_selector)
            compounds.append((tuple(needs), tagless, tag))
        alternatives.append((selector, tuple(compounds)))
    return tuple(alternatives)


def _with_tags(css: str, index: int, tags: list):
    """The index-th alternative of `css`, parsed afresh, with its i-th compound's type
    selector set to tags[i] (None: as it is)."""
    tree = css_parser.parse(css)[index].parsed_tree
    for compound, tag in zip(_compounds(tree), tags):
        if tag is not None:
            while not isinstance(compound, css_parser.Element):
                compound = compound.selector
            compound.element = tag
    return tree


def _xpath_of(selectors: list) -> etree.XPath | None:
    """One compiled query for (parsed tree, pseudo-element) pairs. Single compounds with the
    same tag name share one scan: div.a, div.b is asked as descendant-or-self::div[(a) or (b)]
    (a union keeps document order either way)."""
    paths = []
    conditions: dict[str, list] = {}  # tag name -> conditions of single compounds
    for tree, pseudo_element in selectors:
        if pseudo_element is None and not isinstance(tree, css_parser.CombinedSelector):
            expr = _CSS.xpath(tree)
            if not expr.path:
                conditions.setdefault(expr.element, []).append(expr.condition)
                continue
        paths.append(_CSS.selector_to_xpath(css_parser.Selector(tree, pseudo_element), translate_pseudo_elements=True))
    for tag, tests in conditions.items():
        if all(tests):
            paths.append(f"descendant-or-self::{tag}[{' or '.join(f'({test})' for test in tests)}]")
        else:
            paths.append(f"descendant-or-self::{tag}")  # one alternative is the bare tag name
    return etree.XPath(" | ".join(paths), smart_strings=False) if paths else None


# Bare tag names (script, style, figure) are found fastest by lxml's own iteration:
# node.iter(*tags) walks the tree in C and makes Python objects of those elements only.
# (Not a tag name with a class test: a Python test of every <div> costs more than the XPath
# predicate, because lxml.html makes each element's Python object through a Python lookup.)
_TAG_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_.-]*")


def _bare_tag(tree) -> str | None:
    """The tag name of a selector that is only a tag name, else None."""
    if isinstance(tree, css_parser.Element) and tree.namespace is None and tree.element \
            and _TAG_NAME_RE.fullmatch(tree.element):
        return tree.element.lower()
    return None


class _TagMatch:
    """The elements with any of some tag names under a node (itself included), in document order."""

    def __init__(self, tags: list[str]):
        self.tags = tuple(dict.fromkeys(tags))

    def __call__(self, node) -> list:
        return list(node.iter(*self.tags))


@lru_cache(maxsize=4096)
def _planned_query(css: str, plan: tuple):
    """The query of `css` for a plan (per alternative, per compound, the tag names to ask
    it by, None: as written; an alternative with an empty tag list is left out): a tag
    match when every alternative is a bare tag name, else an XPath."""
    selectors = []  # (parsed tree, pseudo-element) of every alternative, tags set
    for index, ((selector, _), compound_tags) in enumerate(zip(_alternatives(css), plan)):
        if compound_tags is None:
            continue
        choices = [[None] if tags is None else list(tags) for tags in compound_tags]
        combos = [[]]
        for choice in choices:
            combos = [combo + [tag] for combo in combos for tag in choice]
        for combo in combos:
            tree = selector.parsed_tree if all(tag is None for tag in combo) else _with_tags(css, index, combo)
            selectors.append((tree, selector.pseudo_element))
    if not selectors:
        return None
    tags = [_bare_tag(tree) if pseudo_element is None else None for tree, pseudo_element in selectors]
    if all(tags):
        return _TagMatch(tags)
    return _xpath_of(selectors)


class Vocabulary:
    """The class and id values under a node, and what they say of a selector there."""

    def __init__(self, node):
        self.node = node
        # One walk for both (two queries for the values, then one per kind for the elements
        # that carry them, cost 146 us against 83 on the crawl's article page).
        classes: dict = {}  # tag -> its elements' class values
        ids: dict = {}
        for el in node.iter(etree.Element):
            value = el.get("class")
            if value is not None:
                classes.setdefault(el.tag, []).append(value)
            value = el.get("id")
            if value is not None:
                ids.setdefault(el.tag, []).append(value)
        owners = {"class": classes, "id": ids}
        # kind -> {tag: its elements' values, a line each}; kind -> all values, a line each
        self._owners = {kind: {tag: "\n".join(values) for tag, values in found.items()} for kind, found in owners.items()}
        self.words = {kind: "\n".join(found.values()) for kind, found in self._owners.items()}
        self._tags: dict = {}
        self._below_teaser: dict = {}  # element -> whether it or an ancestor is a teaser block
        self._queries: dict = {}  # css -> its planned query here (None: nothing can match)

    def tags_with(self, kind: str, word: str) -> tuple:
        """Tag names of the elements whose class (kind "class") or id value contains `word`."""
        key = (kind, word)
        if key not in self._tags:
            if word not in self.words[kind]:
                self._tags[key] = ()
            else:
                # A word in one of a tag's values is in their lines; the reverse can fail only for a
                # word across a line break: more tag names, which a plan allows (a superset).
                self._tags[key] = tuple(sorted(tag for tag, lines in self._owners[kind].items() if word in lines))
        return self._tags[key]

    def _plan(self, css: str):
        alternatives = _alternatives(css)
        if alternatives is None:
            return None
        words, owners, plan = self.words, self._owners, []
        for _, compounds in alternatives:
            compound_tags = []
            for needs, tagless, tag in compounds:
                # A part that names its tag (div.dek) needs the word in that tag's values.
                if needs and not all(word in (words[kind] if tag is None else owners[kind].get(tag, ""))
                                     for kind, word in needs):
                    compound_tags = None  # this alternative cannot match here
                    break
                if tagless:
                    tags = self.tags_with(*needs[0])
                    compound_tags.append(tags if len(tags) <= _MAX_TAGS else None)
                else:
                    compound_tags.append(None)
            plan.append(None if compound_tags is None else tuple(compound_tags))
        return tuple(plan)

    def select(self, node, css: str) -> list:
        """select(node, css), for a node at or under the one the vocabulary was read from."""
        if css not in self._queries:
            plan = self._plan(css)
            self._queries[css] = compiled(css) if plan is None else _planned_query(css, plan)
        query = self._queries[css]
        return query(node) if query is not None else []

    def select_first(self, node, css: str):
        found = self.select(node, css)
        return found[0] if found else None

    def in_teaser(self, node) -> bool:
        """Whether the node lies in a teaser block (TEASER_ANCESTOR): its ancestors are
        tested one by one (is_teaser_block), each once per page: what an ancestor's
        test found holds for every node below it."""
        below, known = [], self._below_teaser
        found = False
        for ancestor in node.iterancestors():
            answer = known.get(ancestor)
            if answer is not None:
                found = answer
                break
            below.append(ancestor)
            if is_teaser_block(ancestor):
                found = True
                break
        for ancestor in below:
            known[ancestor] = found
        return found

    def live(self, css: str) -> list[str]:
        """The alternatives of `css` that can match here, each a selector (all of them when
        the group is not parsed or not split here)."""
        plan = self._plan(css)
        parts = [part.strip() for part in css.split(",")]
        if plan is None or len(parts) != len(plan):
            return [css]
        return [part for part, compound_tags in zip(parts, plan) if compound_tags is not None]


# What normalize-space() splits a class value at: XML whitespace (not \f, not \xa0).
_XML_WHITESPACE = re.compile(r"[ \t\r\n]+")


def _attribute_test(operator: str | None, value: str | None, wanted: str | None) -> bool:
    """An attribute selector's test of an element's value (None: no such attribute), as
    cssselect writes it in XPath (an empty wanted text matches nothing but with `=`)."""
    if value is None:
        return False
    if operator is None:
        return True
    if operator == "=":
        return value == wanted
    if not wanted:
        return False
    if operator == "^=":
        return value.startswith(wanted)
    if operator == "$=":
        return value.endswith(wanted)
    return wanted in value  # "*="


class SimpleMatch:
    """Which elements under a node match a group of simple selectors (a tag name or `*`,
    classes, ids and the attribute tests [a], [a=v], [a^=v], [a$=v], [a*=v]; no combinators,
    no pseudo-classes), tested in Python during one walk of the node. The same elements as
    the group's query (tests/test_layouts.py), which for a group of many alternatives is a
    walk of the node per tag name (body junk: ~60 alternatives, nine walks plus the plan).
    Anything else in the group is a ValueError when the match is built."""

    _OPERATORS = ("exists", "=", "^=", "$=", "*=")

    def __init__(self, css: str):
        self.tags: set[str] = set()         # alternatives that are a tag name alone
        self.class_words: set[str] = set()  # ... one class alone (.caption)
        # ... one attribute test alone: name -> (with it at all?, {values}, (prefixes), (suffixes), (parts))
        alone: dict[str, dict] = {}
        self.others: list[tuple] = []       # the rest: (tag or None, class words, ((name, operator, value), ...))
        for selector in css_parser.parse(css):
            tree, classes, tests = selector.parsed_tree, [], []
            while not isinstance(tree, css_parser.Element):
                if isinstance(tree, css_parser.Class):
                    classes.append(tree.class_name)
                elif isinstance(tree, css_parser.Hash):
                    tests.append(("id", "=", tree.id))
                elif (isinstance(tree, css_parser.Attrib) and tree.namespace is None and tree.flag is None
                      and tree.operator in self._OPERATORS and (tree.operator == "exists") == (tree.value is None)):
                    operator = None if tree.operator == "exists" else tree.operator
                    tests.append((tree.attrib.lower(), operator, tree.value and tree.value.value))
                else:
                    raise ValueError(f"not a simple selector: {selector.canonical()} in {css!r}")
                tree = tree.selector
            if selector.pseudo_element is not None or tree.namespace is not None:
                raise ValueError(f"not a simple selector: {selector.canonical()} in {css!r}")
            tag = tree.element.lower() if tree.element else None
            if tag is not None and not classes and not tests:
                self.tags.add(tag)
            elif tag is None and len(classes) == 1 and not tests:
                self.class_words.add(classes[0])
            elif tag is None and not classes and len(tests) == 1:
                name, operator, wanted = tests[0]
                tested = alone.setdefault(name, {None: [], "=": [], "^=": [], "$=": [], "*=": []})
                if operator in (None, "=") or wanted:  # an empty prefix, suffix or part matches nothing
                    tested[operator].append(wanted)
            else:
                self.others.append((tag, tuple(classes), tuple(tests)))
        self.attributes = {name: (bool(tested[None]), set(tested["="]), tuple(tested["^="]), tuple(tested["$="]),
                                  tuple(tested["*="])) for name, tested in alone.items()}

    def matches(self, element) -> bool:
        tag = element.tag
        if tag in self.tags:
            return True
        value = element.get("class")
        # A class selector tests the words of normalize-space(@class), split at XML whitespace.
        # str.split() splits at those and more: a class word (no whitespace) that is an XML word
        # is one of its words too, so it only picks the values worth the exact split.
        if value and not self.class_words.isdisjoint(value.split()) \
                and not self.class_words.isdisjoint(_XML_WHITESPACE.split(value)):
            return True
        for name, (anyhow, values, prefixes, suffixes, parts) in self.attributes.items():
            value = element.get(name)
            if value is not None:
                if anyhow or value in values or (prefixes and value.startswith(prefixes)) \
                        or (suffixes and value.endswith(suffixes)):
                    return True
                for part in parts:
                    if part in value:
                        return True
        for wanted_tag, classes, tests in self.others:
            if (wanted_tag is None or wanted_tag == tag) and _class_words(element).issuperset(classes) \
                    and all(_attribute_test(operator, element.get(name), wanted) for name, operator, wanted in tests):
                return True
        return False

    def select(self, node) -> list:
        """The matching elements under `node` (itself included), in document order."""
        return [element for element in node.iter(etree.Element) if self.matches(element)]


def _class_words(element) -> set[str]:
    value = element.get("class")
    return set(_XML_WHITESPACE.split(value)) if value else set()


# Text blocks: the element kinds first (cheap), then, on at most {scan} of them, the
# checks that walk the tree (ancestors, descendants). One XPath call is one C call that
# no time limit can interrupt: on 50,000 paragraphs 2,000 <div>s deep, checking them all
# took seconds.
BLOCK_KINDS_XPATH = ".//*[self::p or self::h2 or self::h3 or self::h4 or self::li or self::blockquote]"
BLOCKS_XPATH = (
    "(" + BLOCK_KINDS_XPATH + ")[position() <= {scan}]"
    "[not(self::blockquote and .//p)][not(ancestor::p)][not(ancestor::li)]"
)

# Teaser blocks: their images, links and bylines belong to other articles. The rule, written
# once: a tag name, a word of the class value (normalize-space(): split at XML whitespace), or
# a part of it anywhere. TEASER_ANCESTOR asks it of a node's ancestors in XPath, is_teaser_block
# of one element in Python, as a SimpleMatch of the same rule (Vocabulary.in_teaser walks a
# node's ancestors with it, each once per page; tests/test_layouts.py checks the two agree).
_TEASER_TAGS = ("nav", "footer", "header")
_TEASER_CLASS_WORD = "related-articles"
_TEASER_CLASS_PARTS = ("related-articles-carousel", "fp_choose_placement_related_posts", "excerpt-content",
                       "post-content--after", "related_posts")
TEASER_ANCESTOR = (
    f"ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' {_TEASER_CLASS_WORD} ')"
    + "".join(f" or contains(@class, '{part}')" for part in _TEASER_CLASS_PARTS)
    + "".join(f" or self::{tag}" for tag in _TEASER_TAGS) + "]"
)


_TEASER_BLOCK = SimpleMatch(", ".join([f".{_TEASER_CLASS_WORD}", *(f"[class*={part}]" for part in _TEASER_CLASS_PARTS),
                                       *_TEASER_TAGS]))


def is_teaser_block(element) -> bool:
    """Whether an element is one of the blocks TEASER_ANCESTOR looks for."""
    return _TEASER_BLOCK.matches(element)


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


def jsonld_article(sel, cuts: PageCuts | None = None) -> dict:
    """The NewsArticle object from the page's JSON-LD blocks ({} if none parses).
    A block that does not parse, or nests too deep for the parser (RecursionError),
    is skipped: the article is still read from the markup."""
    cuts = PageCuts() if cuts is None else cuts
    budget = PAGE_LIMITS["jsonld_nodes"]
    for raw in cuts.capped(select(element(sel), 'script[type="application/ld+json"]::text'), "jsonld_blocks"):
        try:
            data = json.loads(raw, strict=False)
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


_IN_TEASER = etree.XPath(f"boolean({TEASER_ANCESTOR})")


def not_in_teaser(nodes, vocabulary: Vocabulary | None = None):
    in_teaser = _IN_TEASER if vocabulary is None else vocabulary.in_teaser
    return [n for n in nodes if not in_teaser(n)]


def first_node(node, queries, vocabulary: Vocabulary | None = None):
    # Stops at the first hit: a hostile page can repeat a selector's match 100,000 times.
    node = element(node)
    find, in_teaser = (select, _IN_TEASER) if vocabulary is None else (vocabulary.select, vocabulary.in_teaser)
    return next((found for query in queries for found in find(node, query) if not in_teaser(found)), None)


_NON_TEXT = frozenset(NON_TEXT_TAGS)
_SPACING_OR_NON_TEXT = ("br", *NON_TEXT_TAGS)


def visible_text(node) -> str:
    """The text nodes of an element (itself and its descendants, not its tail) that are not
    inside a script/style/noscript/template element lying within it (the element itself
    included: a node that is *inside* <noscript> keeps its text), in document order, with a
    space for each <br> below it. Comments and processing instructions have no text."""
    if next(node.iter(*_SPACING_OR_NON_TEXT), None) is None:
        return "".join(node.itertext())  # the common case: every text node, in C
    parts = []
    stack = [(node, False)]  # (node, or a tail string; whether it lies in a non-text element)
    while stack:  # iterative: a hostile page nests elements thousands deep
        item, hidden = stack.pop()
        if isinstance(item, str):
            if not hidden:
                parts.append(item)
            continue
        tag = item.tag
        if not isinstance(tag, str):
            continue  # a comment or processing instruction: its tail was stacked by its parent
        if tag == "br" and item is not node:
            parts.append(" ")
        hidden = hidden or tag in _NON_TEXT
        if item.text and not hidden:
            parts.append(item.text)
        for child in reversed(item):
            if child.tail:
                stack.append((child.tail, hidden))
            stack.append((child, hidden))
    return "".join(parts)


def node_text(node) -> str:
    """Visible text of an element, as a reader sees it: <br> counts as a space, inline tags
    do not split words, script/style/noscript/template content is no text (a byline's
    tracking snippet), whitespace runs are one space. Which text nodes are visible is a
    question of the markup, so it is read here; clean_text() is idempotent, so the
    loader's processors, which clean every value again, see the same text."""
    return clean_text(visible_text(element(node)))


def attr(node, name: str) -> str | None:
    # .get(name), not .attrib: .attrib builds a dict of *all* attributes and fails on a
    # control character in any attribute name of a broken page.
    return element(node).get(name)


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


# All of BODY_JUNK, asked of every element of the container's copy (the container itself may be junk).
_BODY_JUNK = ", ".join(BODY_JUNK)
_BODY_JUNK_MATCH = SimpleMatch(_BODY_JUNK)
_BLOCK_SCAN = 10 * PAGE_LIMITS["body_blocks"]  # nested blocks (a <p> in an <li>) are found, then dropped
_COUNT_BLOCKS_XPATH = etree.XPath(f"count({BLOCK_KINDS_XPATH})")
_BLOCKS_XPATH = etree.XPath(BLOCKS_XPATH.format(scan=_BLOCK_SCAN))


def body_blocks(container, cuts: PageCuts | None = None) -> list[str]:
    """Paragraph texts of the body container, junk blocks removed first (from a copy of
    the container: the page's own tree stays whole for the other fields)."""
    cuts = PageCuts() if cuts is None else cuts
    body = etree.Element("div")  # a holder: dropping a node needs its parent, the container's too
    body.append(deepcopy(element(container)))
    body[0].tail = None
    for node in _BODY_JUNK_MATCH.select(body[0]):  # a junk node inside another is dropped with it: the same tree
        drop_tree(node)  # its tail text stays, as parsel's Selector.drop() keeps it
    found = int(_COUNT_BLOCKS_XPATH(body))
    if found > _BLOCK_SCAN:
        cuts["body_blocks"] += found - _BLOCK_SCAN
    return [node_text(block) for block in cuts.capped(_BLOCKS_XPATH(body), "body_blocks")]


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
