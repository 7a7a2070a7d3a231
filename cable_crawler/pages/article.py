"""Reads an FP article page into an ArticleLoader.

Selectors cover FP's template eras (see tests/site/FIXTURES.md and the markup
notes in README.md): legacy Cable blog (A), `vip/foreign-policy` 2015-17 (B),
`foreign-policy-2017` (C) and the current theme (D). Each field lists its
sources from most to least reliable; the loader's processors pick and clean.
"""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from urllib.parse import urlsplit

from parsel import Selector

from ..loaders import ArticleLoader
from ..middlewares import is_on_site
from ..processors import (
    NON_TEXT_TAGS, articlebody_paragraphs, byline_names, canonical_url, clean_text, date_from_url, http_url,
    is_article_url, parse_caption, parse_datetime,
)

# Where the article text lives, best first. Era D puts the full text in
# content-gated (content-ungated is a teaser copy of the lede).
BODY_CONTAINERS = (
    "div.content-gated--main-article", "div.content-gated", "div.post-content-main",
    "div.feature-body", "div.post-inner", "div.translateBody", "#art-body", "div.entry-content",
    "div.content-ungated", "article",
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
    ".graphic-chatter", ".newsletter-unit-signup", ".newsletter-unit-signup--shortcode-fallback", ".pull-quote", ".pull-quote-sidebar",
)

# Text blocks: the element kinds first (cheap), then, on at most {scan} of them, the
# checks that walk the tree (ancestors, descendants). One XPath call is one C call that
# no time limit can interrupt: on 50,000 paragraphs 2,000 <div>s deep, checking them all
# took seconds.
BLOCK_KINDS_XPATH = ".//*[self::p or self::h2 or self::h3 or self::h4 or self::li or self::blockquote]"
BLOCKS_XPATH = (
    "(" + BLOCK_KINDS_XPATH + ")[position() <= {scan}]"
    "[not(self::blockquote and .//p)][not(ancestor::p)][not(ancestor::li)]"
)

# Teaser blocks: their images, links and bylines belong to other articles.
TEASER_ANCESTOR = (
    "ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' related-articles ')"
    " or contains(@class, 'related-articles-carousel') or contains(@class, 'fp_choose_placement_related_posts')"
    " or contains(@class, 'excerpt-content') or contains(@class, 'post-content--after')"
    " or contains(@class, 'related_posts') or self::nav or self::footer or self::header]"
)

BYLINE_NODES = (
    "div.feature-header-text address.author-list", "div.author-bio-text", "address.author-list",
    "p.feature-byline", "span.post_by", "span#by-line", ".byline",
)
HEADLINES = (
    "h1.hed", "div.hed-heading h1", "h1.feature-hed", "div.translateHead h1", "#art-mast h1",
    "article h1",
)


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
    """What load_article left out of one page: {what: items cut} (the spider reports it)."""

    def capped(self, items, what: str, limit_name: str | None = None):
        """The first PAGE_LIMITS[limit_name or what] of `items` (a list); the rest counted as cut."""
        limit = PAGE_LIMITS[limit_name or what]
        if len(items) > limit:
            self[what] += len(items) - limit
            return items[:limit]
        return items


ARTICLE_TYPES = ("NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle")


def jsonld_article(sel: Selector, cuts: PageCuts | None = None) -> dict:
    """The NewsArticle object from the page's JSON-LD blocks ({} if none parses).
    A block that does not parse, or nests too deep for the parser (RecursionError),
    is skipped: the article is still read from the markup."""
    cuts = PageCuts() if cuts is None else cuts
    budget = PAGE_LIMITS["jsonld_nodes"]
    for raw in cuts.capped(sel.css('script[type="application/ld+json"]::text').getall(), "jsonld_blocks"):
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


def _not_in_teaser(nodes):
    return [n for n in nodes if not n.xpath(TEASER_ANCESTOR)]


def _first(sel: Selector, queries) -> Selector | None:
    # Stops at the first hit: a hostile page can repeat a selector's match 100,000 times.
    return next((node for query in queries for node in sel.css(query) if not node.xpath(TEASER_ANCESTOR)), None)


# Text nodes not inside a script/style/noscript/template element that lies within the node
# itself ($depth: the node's own depth, so a node that *is* inside <noscript> keeps its text).
_VISIBLE_TEXT_XPATH = (
    ".//text()[not(ancestor::*[" + " or ".join(f"self::{tag}" for tag in NON_TEXT_TAGS)
    + "][count(ancestor::*) >= $depth])] | .//br"
)


def _node_text(node: Selector) -> str:
    """Visible text of an element: <br> counts as a space, inline tags do not split words,
    script/style/noscript/template content is no text (a byline's tracking snippet)."""
    depth = int(float(node.xpath("count(ancestor::*)").get()))
    parts = node.xpath(_VISIBLE_TEXT_XPATH, depth=depth)  # in document order; a <br> stands for a space
    return clean_text("".join(part.root if isinstance(part.root, str) else " " for part in parts))


def _attr(node: Selector, name: str) -> str | None:
    # xpath, not .attrib: .attrib builds a dict of *all* attributes and fails on a
    # control character in any attribute name of a broken page.
    return node.xpath(f"@{name}").get()


def _absolute(urljoin, href) -> str | None:
    """The canonical absolute http(s) URL of a link, or None for javascript:, bad hosts..."""
    if not isinstance(href, str) or not href.strip():
        return None
    try:
        return http_url(urljoin(href.strip()))
    except ValueError:
        return None


def _ld_text(value) -> str | None:
    """A JSON-LD value that should be text: anything else (objects, numbers) is ignored."""
    return value if isinstance(value, str) else None


def post_id(sel: Selector) -> str | None:
    candidates = [
        sel.css("article.article::attr(data-post-id)").get(),
        sel.css("div.post-content::attr(data-post-id)").get(),
        sel.css('link[rel=alternate][type="application/json"]::attr(href)').re_first(r"/posts/(\d+)"),
        sel.css("link[rel=shortlink]::attr(href)").re_first(r"[?&]p=(\d+)"),
        sel.css("body::attr(class)").re_first(r"\bpostid-(\d+)"),
    ]
    return next((c for c in candidates if c and re.fullmatch(r"[0-9]{1,18}", c)), None)


def add_authors(loader: ArticleLoader, sel: Selector, ld: dict, byline_node: Selector | None, urljoin,
                cuts: PageCuts | None = None) -> None:
    cuts = PageCuts() if cuts is None else cuts
    candidates: list[dict] = []
    # 1. Links in the byline: the name may exist only here ("By <a>Name</a>, a staff writer").
    if byline_node is not None:
        for link in cuts.capped(byline_node.css("a[rel=author], a.author, a[href*='/author/']"), "authors"):
            candidates.append({"name": _node_text(link), "url": _absolute(urljoin, _attr(link, "href"))})
        byline = _node_text(byline_node)
        loader.add_value("byline", byline)
        for name in cuts.capped(byline_names(byline), "authors"):
            candidates.append({"name": name})
    # 2. Head meta and JSON-LD names.
    metas = sel.css("meta[name=author]::attr(content), meta[property='article:author']::attr(content)").getall()
    parts = [part for name in cuts.capped(metas, "authors") if not name.startswith("http")
             for part in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", name)]
    candidates += [{"name": part} for part in cuts.capped(parts, "authors")]
    ld_authors = ld.get("author") or []
    for author in cuts.capped(ld_authors if isinstance(ld_authors, list) else [ld_authors], "authors"):
        if isinstance(author, dict):
            candidates.append({"name": _ld_text(author.get("name")), "url": _absolute(urljoin, author.get("url"))})
        elif isinstance(author, str):
            candidates.append({"name": author})
    # 3. Bios: "<strong>Name</strong> is ..." or "Name was a staff writer ...".
    bios = sel.css("section.bio-no-photo p, div.author-bio p, div.author-bio-box p, .post-author-bio p")
    for bio in cuts.capped(bios, "authors"):
        candidates.append({"name": clean_text(bio.css("strong::text").get()) or None, "bio": _node_text(bio)})
    # Five sources of at most PAGE_LIMITS["authors"] each: within the schema's authors
    # maxItems, so a page at the per-source limits still gives a valid item.
    loader.add_value("authors", cuts.capped(candidates, "authors", "author_candidates"))


def image_candidate(container: Selector, year: int | None, urljoin) -> dict | None:
    img = container.css("img")
    if not img:
        return None
    img = img[0]
    url = (container.css("noscript img::attr(src)").get()
           or _attr(img, "data-src") or _attr(img, "src")
           or (_attr(img, "srcset") or _attr(img, "data-srcset") or "").split(" ")[0])
    renderings = []
    for caption_node in container.css("div.caption, figcaption, p.wp-caption-text, dd.wp-caption-text,"
                                      " dd.gallery-caption, .wp-caption-dd"):
        credit = next((_node_text(n) for n in caption_node.css("span.attribution")), None)
        renderings.append(parse_caption(_node_text(caption_node), credit=credit, fallback_year=year))
    for alt in container.css("img::attr(alt)").getall():
        renderings.append(parse_caption(alt, fallback_year=year))
    try:
        absolute = urljoin(url.strip()) if url and url.strip() else None
    except ValueError:
        absolute = None
    return {"url": absolute, "renderings": renderings}


def add_images(loader: ArticleLoader, sel: Selector, scope: Selector, year: int | None, urljoin,
               cuts: PageCuts | None = None) -> None:
    cuts = PageCuts() if cuts is None else cuts
    lead = _first(scope, ("figure.figure-image", "div.feature-image", "figure"))
    if lead is not None:
        candidate = image_candidate(lead, year, urljoin)
        if candidate:
            loader.add_value("lead_image", candidate)
            loader.add_value("images", candidate)
    for container in _not_in_teaser(cuts.capped(scope.css("figure, div.wp-caption, dl.gallery-item"), "images")):
        candidate = image_candidate(container, year, urljoin)
        if candidate:
            loader.add_value("images", candidate)
    if lead is None:
        og_image = sel.css("meta[property='og:image']::attr(content)").get()
        if og_image:
            # Only a lead image when the page shows it too (not the site's default logo).
            for candidate in loader.get_collected_values("images"):
                if candidate["url"] and candidate["url"].split("?")[0] == og_image.split("?")[0]:
                    loader.add_value("lead_image", candidate)
                    break


def body_blocks(container: Selector, cuts: PageCuts | None = None) -> list[str]:
    """Paragraph texts of the body container, junk blocks removed first."""
    cuts = PageCuts() if cuts is None else cuts
    body = Selector(text=container.get() or "<div></div>")
    for junk in BODY_JUNK:
        for node in body.css(junk):
            node.drop()
    limit = PAGE_LIMITS["body_blocks"]
    scan = 10 * limit  # nested blocks (a <p> in an <li>) are found, then dropped
    found = int(float(body.xpath(f"count({BLOCK_KINDS_XPATH})").get()))
    if found > scan:
        cuts["body_blocks"] += found - scan
    return [_node_text(block) for block in cuts.capped(body.xpath(BLOCKS_XPATH.format(scan=scan)), "body_blocks")]


def add_related(loader: ArticleLoader, sel: Selector, urljoin, cuts: PageCuts | None = None) -> None:
    cuts = PageCuts() if cuts is None else cuts
    blocks = sel.css(".fp_choose_placement_related_posts, .related-articles, .related-articles-carousel,"
                     " .post-content--after, .related_posts")
    teasers = []  # (node, is a heading), in page order, all rails together: one bound for the page
    for block in blocks:
        teasers += [(link, False) for link in block.css("a.hed-heading, h3 a, a:has(h3)")]
        teasers += [(heading, True) for heading in block.css("h3.hed")]
    for node, is_heading in cuts.capped(teasers, "related"):
        if is_heading:
            href = node.xpath("ancestor::a[1]/@href").get() or node.css("a::attr(href)").get()
        else:
            href = _attr(node, "href")
        url = _absolute(urljoin, href)
        if url:
            loader.add_value("related", {"headline": _node_text(node), "url": url})


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


def load_article(response, column: str, base_url: str | None = None, other_pages=frozenset(),
                 cuts: PageCuts | None = None) -> ArticleLoader:
    """Fill an ArticleLoader from an article page. The caller calls load_item().
    `loader.canonical_ignored` is (canonical link, reason) when the page's canonical
    link was not used as its URL (see article_url), else None. What a page has beyond
    PAGE_LIMITS is left out and counted in `cuts`."""
    cuts = PageCuts() if cuts is None else cuts
    sel = response.selector
    loader = ArticleLoader(selector=sel)
    ld = jsonld_article(sel, cuts)

    canonical = sel.css("link[rel=canonical]::attr(href)").get() or sel.css("meta[property='og:url']::attr(content)").get()
    absolute = _absolute(response.urljoin, canonical) if canonical else None
    url, ignored = article_url(absolute or canonical, response.url, base_url, other_pages)
    loader.canonical_ignored = (clean_text(canonical), ignored) if ignored else None
    loader.add_value("url", url)
    loader.add_value("id", post_id(sel))
    loader.add_value("column", column)

    for query in HEADLINES:
        for node in _not_in_teaser(cuts.capped(sel.css(query), "headlines", "candidates")):
            loader.add_value("headline", _node_text(node))
    loader.add_css("headline", "meta[property='og:title']::attr(content)")
    loader.add_value("headline", _ld_text(ld.get("headline")))
    loader.add_css("headline", "title::text")

    deks = sel.css("h2.dek-heading, div.dek-heading p.dek, p.feature-dek, .dek")
    for node in _not_in_teaser(cuts.capped(deks, "deks", "candidates")):
        loader.add_value("dek", _node_text(node))

    byline_node = _first(sel, BYLINE_NODES)
    add_authors(loader, sel, ld, byline_node, response.urljoin, cuts)

    loader.add_value("published_at", _ld_text(ld.get("datePublished")))
    loader.add_css("published_at", "meta[property='article:published_time']::attr(content)")
    loader.add_css("published_at", "meta[name=parsely-pub-date]::attr(content)")
    for time_value in _not_in_teaser(cuts.capped(sel.css("time[datetime]"), "dates", "candidates")):
        loader.add_value("published_at", _attr(time_value, "datetime"))
    url_date = date_from_url(response.url) or date_from_url(url)
    if url_date:
        loader.add_value("published_at", url_date.isoformat())
    loader.add_value("modified_at", _ld_text(ld.get("dateModified")))
    loader.add_css("modified_at", "meta[property='article:modified_time']::attr(content)")
    loader.add_css("modified_at", "meta[property='og:updated_time']::attr(content)")

    published = parse_datetime(loader.get_output_value("published_at"))
    year = published.year if published else None

    scope = _first(sel, ("article.article", "div.post-content", "div#main", "article", "body")) or sel
    add_images(loader, sel, scope, year, response.urljoin, cuts)

    container = _first(sel, BODY_CONTAINERS)
    paragraphs = body_blocks(container, cuts) if container is not None else []
    ld_body = _ld_text(ld.get("Articlebody")) or _ld_text(ld.get("articleBody"))
    if not [p for p in paragraphs if p] and ld_body:
        # Insider posts carry the full text only in JSON-LD.
        paragraphs = cuts.capped(articlebody_paragraphs(ld_body), "body_blocks")
    loader.add_value("body", paragraphs)

    loader.add_value("tags", [_node_text(tag) for tag in cuts.capped(sel.css("div.the-tags a.tag"), "tags")])
    loader.add_value("tags", cuts.capped(sel.css("meta[property='article:tag']::attr(content)").getall(), "tags"))
    add_related(loader, sel, response.urljoin, cuts)
    return loader
