"""ArticlePage: an article page, with one method per item field found on the page.

The rule: pages find, processors normalize, the loader wires and derives.

- A page method *finds*. It selects the nodes that hold its field and returns their raw
  values as a list of candidates, best source first: an element's visible text
  (markup.node_text), an attribute's value, a link made absolute against the page, or a
  dict of such raw values for a structured field (an author, an image with its caption
  renderings, a teaser). Several sources give several candidates. A page method never
  cleans a value beyond reading it, never parses a date or number, never chooses between
  candidates, deduplicates or merges them, and never reads another field's result
  through the loader. It bounds every loop over the page's nodes (PAGE_LIMITS) and
  counts what it leaves out (PageCuts). One exception, for those bounds: a source that
  holds several candidates in one string (the names in a byline or a meta author list,
  the paragraphs of JSON-LD's raw `Articlebody`) is split into its candidates here, with
  the processors' own splitting function, so that the limits count candidates.
- A processor (processors.py) *normalizes*: a pure function of plain values (clean the
  text, parse dates, split credits and datelines, merge and deduplicate candidates).
- ArticleLoader (loaders.py) wires processors to fields (`<field>_in`, `<field>_out`)
  and computes the derived fields in load_item(): id, word_count, dateline, fingerprint,
  revision, schema_version, crawled_at, and the article's year for caption datelines.

A layout subclass (pages/layouts/<layout>.py) holds its template era's selectors as class
attributes, tried before the GENERIC ones here (WordPress and HTML5 markup every era
shares, head meta, JSON-LD), and overrides a method only where its era reads a field
differently. This class alone reads a page of no known layout (UnknownLayoutPage).
"""

from __future__ import annotations

import re
from functools import cached_property, partial

from cable_crawler.extraction.loaders import ArticleLoader
from cable_crawler.extraction.processors import articlebody_paragraphs, byline_names, clean_text
from cable_crawler.extraction.pages.markup import (
    AncestorLookup, PageCuts, absolute_url, ancestors, article_url, attr, body_blocks, content_of_property, elements,
    first_node, head_query, head_scope, join_url, jsonld_article, ld_text, node_text, not_in_teaser, page_base_url,
    page_root, pseudo_values, query_parts, select, select_first, teaser_lookup,
)

# The item fields a page finds, in the order the page object reads them. The loader adds
# `column` (the crawl's, not the page's) and derives the rest (see loaders.py).
PAGE_FIELDS = ("url", "id", "headline", "dek", "authors", "byline", "published_at", "modified_at",
               "lead_image", "images", "body", "tags", "related", "access")

# The date in an article URL's path (/2016/08/04/slug/), as text: the loader parses it.
_URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})/([01]\d)/([0-3]\d)/")
# The post id in the JSON API link, the shortlink and the body class.
_JSON_POST_RE = re.compile(r"/posts/(\d+)")
_SHORTLINK_POST_RE = re.compile(r"[?&]p=(\d+)")
_BODY_CLASS_POST_RE = re.compile(r"\bpostid-(\d+)")
# The names in one meta author value: "X, Y and Z".
_META_AUTHORS_SPLIT_RE = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


def _link_above(node) -> str | None:
    """The href of the nearest <a> above the node (None: no link, or it has no href)."""
    link = next((ancestor for ancestor in ancestors(node) if ancestor.tag == "a"), None)
    return attr(link, "href") if link is not None else None


def _first_group(values: list[str], regex: re.Pattern) -> str | None:
    """The first value's match of `regex` (its one group), as parsel's re_first reads it."""
    return next((match.group(1) for value in values if (match := regex.search(value))), None)


class ArticlePage:
    layout = "unknown"

    # Era selectors (subclasses): tried before the generic ones below.
    HEADLINES: tuple[str, ...] = ()       # each query's nodes are all candidates
    DEKS: tuple[str, ...] = ()            # one union: candidates in page order
    BYLINES: tuple[str, ...] = ()         # the first node found is the byline
    BODY_CONTAINERS: tuple[str, ...] = ()  # the first container found holds the text
    LEAD_FIGURES: tuple[str, ...] = ()    # the first figure found is the lead image
    POST_IDS: tuple[str, ...] = ()        # attribute queries holding the WordPress post id

    # Generic: WordPress, HTML5 and FP markup that every era shares.
    GENERIC_HEADLINES = ("article h1",)
    GENERIC_DEKS = (".dek",)
    GENERIC_BYLINES = (".byline",)
    GENERIC_BODY_CONTAINERS = ("div.entry-content", "article")
    GENERIC_LEAD_FIGURES = ("figure",)
    IMAGE_SCOPES = ("article.article", "div.post-content", "div#main", "article", "body")
    IMAGE_CONTAINERS = "figure, div.wp-caption, dl.gallery-item"
    CAPTIONS = "div.caption, figcaption, p.wp-caption-text, dd.wp-caption-text, dd.gallery-caption, .wp-caption-dd"
    AUTHOR_LINKS = "a[rel=author], a.author, a[href*='/author/']"
    BIOS = "section.bio-no-photo p, div.author-bio p, div.author-bio-box p, .post-author-bio p"
    TAG_LINKS = "div.the-tags a.tag"
    RELATED_BLOCKS = (".fp_choose_placement_related_posts, .related-articles, .related-articles-carousel,"
                      " .post-content--after, .related_posts")
    TEASER_LINKS = "a.hed-heading, h3 a, a:has(h3)"  # in a related block: a teaser's link...
    TEASER_HEADINGS = "h3.hed"                        # ...or its heading (the link around or in it)
    PREMIUM_CONTAINER = "div.post-content"  # its data-premium says whether the post is for subscribers

    def __init__(self, response, base_url: str | None = None, other_pages=frozenset(),
                 cuts: PageCuts | None = None, root=None):
        self.response = response
        # The root element of the page's HTML5 tree (markup.page_root): every query runs on its nodes.
        self.root = page_root(response) if root is None else root
        self.in_teaser = teaser_lookup()  # whether a node lies in a teaser block, each ancestor asked once
        self.in_noscript = AncestorLookup(lambda node: node.tag == "noscript")
        self.base_url = base_url
        self.other_pages = other_pages  # URLs of other pages of this crawl (see article_url)
        self.cuts = PageCuts() if cuts is None else cuts
        self._image_candidates: dict = {}  # a container's mem_id -> its image_candidate()
        self._found: dict = {}  # a selector group -> the elements it finds in the page (find)

    def find(self, css: str) -> list:
        """What `css` selects in the page (elements, or strings for ::text and ::attr()). The
        elements a selector group finds are kept for the page: several fields read the same
        element (article.article holds the post id and the images, div.post-content the post
        id and the subscriber marker), and a query of the whole page is its costliest part."""
        group, alternatives, pseudo = query_parts(css)
        if group not in self._found:
            self._found[group] = elements(self.root, group, alternatives)
        return pseudo_values(self._found[group], pseudo)

    def find_first(self, css: str):
        found = self.find(css)
        return found[0] if found else None

    def first_found(self, queries):
        """The first element outside teaser blocks that a query of the page finds, the queries
        tried in order (markup.first_node, asked through find)."""
        return first_node(self.root, queries, self.in_teaser, find=self.find)

    @cached_property
    def head(self):
        """The element that holds the page's meta, link and title elements (markup.head_scope)."""
        return head_scope(self.root)

    def find_in_head(self, css: str) -> list:
        """What `css`, a query of meta, link or title elements only, selects (as find)."""
        meta_property = content_of_property(css)
        if meta_property is not None:
            return list(self.head_properties.get(meta_property, ()))
        return select(self.head, head_query(css))

    def find_first_in_head(self, css: str):
        meta_property = content_of_property(css)
        if meta_property is not None:
            return next(iter(self.head_properties.get(meta_property, ())), None)
        return select_first(self.head, head_query(css))

    @cached_property
    def head_properties(self) -> dict[str, list[str]]:
        """A <meta property>'s value -> the content of each such element that has one, in page
        order: what `meta[property='…']::attr(content)` finds (Lexbor compares the value as it
        is, case included), for the five to eight a page asks, from one query (~2.5 µs each)."""
        found: dict[str, list[str]] = {}
        for meta in select(self.head, "meta[property]"):
            content = attr(meta, "content")
            if content is not None:
                found.setdefault(attr(meta, "property"), []).append(content)
        return found

    @cached_property
    def body_class(self) -> str | None:
        """The <body>'s class attribute (the post id and the subscriber marker are in it). The
        HTML5 parser puts the one <body> among <html>'s children and nowhere else (a second
        <body> tag only adds its attributes): found there, without a query of the page."""
        body = next((child for child in self.root.iter() if child.tag == "body"), None)
        return None if body is None else attr(body, "class")

    # ----------------------------------------------------------------- the item

    def to_loader(self, column: str) -> ArticleLoader:
        """An ArticleLoader holding every field's candidates; load_item() normalizes."""
        loader = ArticleLoader()
        # One add_value for every field (itemloaders' form for several): each field's input
        # processor runs as with an add_value a field, without fifteen get_value calls (~5 µs).
        loader.add_value(None, {**{field: getattr(self, field)() for field in PAGE_FIELDS}, "column": column})
        return loader

    def to_item(self, column: str):
        return self.to_loader(column).load_item()

    # ----------------------------------------------------------------- what several fields read

    @cached_property
    def urljoin(self):
        """response.urljoin with the page's base URL read once (Scrapy looks it up per call)."""
        return partial(join_url, page_base_url(self.response))

    @cached_property
    def ld(self) -> dict:
        """The page's JSON-LD article object ({} if none)."""
        return jsonld_article(self.root, self.cuts)

    @cached_property
    def chosen_url(self) -> tuple[str, tuple[str, str] | None]:
        """(the article's URL, (canonical link, why it was not used) or None): see article_url."""
        canonical = (self.find_first_in_head("link[rel=canonical]::attr(href)")
                     or self.find_first_in_head("meta[property='og:url']::attr(content)"))
        absolute = absolute_url(self.urljoin, canonical) if canonical else None
        url, ignored = article_url(absolute or canonical, self.response.url, self.base_url, self.other_pages)
        return url, (clean_text(canonical), ignored) if ignored else None

    @property
    def canonical_ignored(self) -> tuple[str, str] | None:
        return self.chosen_url[1]

    @cached_property
    def byline_node(self):
        return self.first_found(self.BYLINES + self.GENERIC_BYLINES)

    @cached_property
    def lead_figure(self):
        return first_node(self.image_scope, self.LEAD_FIGURES + self.GENERIC_LEAD_FIGURES, self.in_teaser)

    @cached_property
    def image_scope(self):
        scope = self.first_found(self.IMAGE_SCOPES)
        return self.root if scope is None else scope

    @cached_property
    def lead_candidate(self) -> dict | None:
        return self.image_candidate(self.lead_figure) if self.lead_figure is not None else None

    @cached_property
    def image_candidates(self) -> list[dict]:
        """Every image of the article: the lead figure first, then each figure, caption block
        and gallery item outside teasers (the same image often appears several times)."""
        candidates = [self.lead_candidate]
        containers = self.cuts.capped(select(self.image_scope, self.IMAGE_CONTAINERS), "images")
        candidates += [self.image_candidate(container) for container in not_in_teaser(containers, self.in_teaser)]
        return [candidate for candidate in candidates if candidate]

    def image_candidate(self, container) -> dict | None:
        """{'url', 'renderings': [{'text', 'credit'?}]}: the image's address and every
        rendering of its caption (caption blocks, then img alt), raw. Read once per
        container (the lead figure is among the image containers too)."""
        if container.mem_id not in self._image_candidates:
            self._image_candidates[container.mem_id] = self._read_image_candidate(container)
        return self._image_candidates[container.mem_id]

    def _read_image_candidate(self, container) -> dict | None:
        images = select(container, "img")  # the first is the image; each one's alt is a rendering
        if not images:
            return None
        img = images[0]
        url = (self.noscript_src(images)
               or attr(img, "data-src") or attr(img, "src")
               or (attr(img, "srcset") or attr(img, "data-srcset") or "").split(" ")[0])
        renderings = []
        for caption_node in select(container, self.CAPTIONS):
            credit_node = select_first(caption_node, "span.attribution")
            credit = None if credit_node is None else node_text(credit_node)
            renderings.append({"text": node_text(caption_node), "credit": credit})
        renderings += [{"text": alt, "credit": None} for image in images if (alt := attr(image, "alt")) is not None]
        try:
            absolute = self.urljoin(url.strip()) if url and url.strip() else None
        except ValueError:
            absolute = None
        return {"url": absolute, "renderings": renderings}

    def noscript_src(self, images) -> str | None:
        """The src of the first of a container's <img> elements that lies in a <noscript> (the
        real address of a lazy-loaded image), as select_first(container, "noscript img::attr(src)")
        finds it, the noscript maybe above the container, without a query of its own."""
        return next((src for image in images if (src := attr(image, "src")) is not None and self.in_noscript(image)),
                    None)

    # ----------------------------------------------------------------- one method per field

    def url(self) -> list[str]:
        return [self.chosen_url[0]]

    def id(self) -> list[str]:
        """Post id candidates, most specific first (the loader takes the first that is one)."""
        candidates = [self.find_first(query) for query in self.POST_IDS]
        candidates += [
            _first_group(self.find_in_head('link[rel=alternate][type="application/json"]::attr(href)'), _JSON_POST_RE),
            _first_group(self.find_in_head("link[rel=shortlink]::attr(href)"), _SHORTLINK_POST_RE),
            _first_group([self.body_class or ""], _BODY_CLASS_POST_RE),
        ]
        return [c for c in candidates if c]

    def headline(self) -> list[str]:
        candidates = []
        for query in self.HEADLINES + self.GENERIC_HEADLINES:
            nodes = not_in_teaser(self.cuts.capped(self.find(query), "headlines", "candidates"), self.in_teaser)
            candidates += [node_text(node) for node in nodes]
        candidates += self.find_in_head("meta[property='og:title']::attr(content)")
        candidates.append(ld_text(self.ld.get("headline")))
        candidates += self.find_in_head("title::text")
        return [c for c in candidates if c is not None]

    def dek(self) -> list[str]:
        deks = self.find(", ".join(self.DEKS + self.GENERIC_DEKS))
        deks = not_in_teaser(self.cuts.capped(deks, "deks", "candidates"), self.in_teaser)
        return [node_text(node) for node in deks]

    def byline(self) -> list[str]:
        return [node_text(self.byline_node)] if self.byline_node is not None else []

    def authors(self) -> list[dict]:
        """Author candidates {'name', 'url'?, 'bio'?} from five sources: byline links, the
        names in the byline text, head meta, JSON-LD, bio paragraphs."""
        cuts, urljoin = self.cuts, self.urljoin
        candidates: list[dict] = []
        # 1. Links in the byline: the name may exist only here ("By <a>Name</a>, a staff writer").
        if self.byline_node is not None:
            for link in cuts.capped(select(self.byline_node, self.AUTHOR_LINKS), "authors"):
                candidates.append({"name": node_text(link), "url": absolute_url(urljoin, attr(link, "href"))})
            for name in cuts.capped(byline_names(node_text(self.byline_node)), "authors"):
                candidates.append({"name": name})
        # 2. Head meta and JSON-LD names.
        metas = self.find_in_head("meta[name=author]::attr(content), meta[property='article:author']::attr(content)")
        parts = [part for name in cuts.capped(metas, "authors") if not name.startswith("http")
                 for part in _META_AUTHORS_SPLIT_RE.split(name)]
        candidates += [{"name": part} for part in cuts.capped(parts, "authors")]
        ld_authors = self.ld.get("author") or []
        for author in cuts.capped(ld_authors if isinstance(ld_authors, list) else [ld_authors], "authors"):
            if isinstance(author, dict):
                candidates.append({"name": ld_text(author.get("name")), "url": absolute_url(urljoin, author.get("url"))})
            elif isinstance(author, str):
                candidates.append({"name": author})
        # 3. Bios: "<strong>Name</strong> is ..." or "Name was a staff writer ...".
        for bio in cuts.capped(self.find(self.BIOS), "authors"):
            candidates.append({"name": select_first(bio, "strong::text"), "bio": node_text(bio)})
        # Five sources of at most PAGE_LIMITS["authors"] each: within the schema's authors
        # maxItems, so a page at the per-source limits still gives a valid item.
        return cuts.capped(candidates, "authors", "author_candidates")

    def published_at(self) -> list[str]:
        """Date candidates, most precise first; the date in the URL last."""
        candidates = [ld_text(self.ld.get("datePublished"))]
        candidates += self.find_in_head("meta[property='article:published_time']::attr(content)")
        candidates += self.find_in_head("meta[name=parsely-pub-date]::attr(content)")
        times = not_in_teaser(self.cuts.capped(self.find("time[datetime]"), "dates", "candidates"), self.in_teaser)
        candidates += [attr(node, "datetime") for node in times]
        url_date = _URL_DATE_RE.search(self.response.url) or _URL_DATE_RE.search(self.chosen_url[0])
        if url_date:
            candidates.append("-".join(url_date.groups()))
        return [c for c in candidates if c is not None]

    def modified_at(self) -> list[str]:
        candidates = [ld_text(self.ld.get("dateModified"))]
        candidates += self.find_in_head("meta[property='article:modified_time']::attr(content)")
        candidates += self.find_in_head("meta[property='og:updated_time']::attr(content)")
        return [c for c in candidates if c is not None]

    def lead_image(self) -> list[dict]:
        """The lead figure's image; without one, the image of the page that og:image names
        (only an image the page shows: og:image alone is often the site's logo)."""
        if self.lead_figure is not None:
            return [self.lead_candidate] if self.lead_candidate else []
        og_image = self.find_first_in_head("meta[property='og:image']::attr(content)")
        if og_image:
            for candidate in self.image_candidates:
                if candidate["url"] and candidate["url"].split("?")[0] == og_image.split("?")[0]:
                    return [candidate]
        return []

    def images(self) -> list[dict]:
        return self.image_candidates

    def body(self) -> list[str]:
        """The body container's text blocks; when it has no text, the paragraphs of JSON-LD's
        Articlebody (Insider posts carry the full text only there)."""
        container = self.first_found(self.BODY_CONTAINERS + self.GENERIC_BODY_CONTAINERS)
        paragraphs = body_blocks(container, self.cuts) if container is not None else []
        ld_body = ld_text(self.ld.get("Articlebody")) or ld_text(self.ld.get("articleBody"))
        if not [p for p in paragraphs if p] and ld_body:
            paragraphs = self.cuts.capped(articlebody_paragraphs(ld_body), "body_blocks")
        return paragraphs

    def tags(self) -> list[str]:
        tags = [node_text(tag) for tag in self.cuts.capped(self.find(self.TAG_LINKS), "tags")]
        return tags + self.cuts.capped(self.find_in_head("meta[property='article:tag']::attr(content)"), "tags")

    def related(self) -> list[dict]:
        """Teasers {'headline', 'url'} of the related-articles rails, in page order."""
        teasers = []  # (node, is a heading), all rails together: one bound for the page
        for block in self.find(self.RELATED_BLOCKS):
            # One query for both: its link alternatives select only <a>, "h3.hed" only <h3>.
            found = select(block, f"{self.TEASER_LINKS}, {self.TEASER_HEADINGS}")
            teasers += [(link, False) for link in found if link.tag != "h3"]
            teasers += [(heading, True) for heading in found if heading.tag == "h3"]
        related = []
        for node, is_heading in self.cuts.capped(teasers, "related"):
            if is_heading:
                href = _link_above(node) or select_first(node, "a::attr(href)")
            else:
                href = attr(node, "href")
            url = absolute_url(self.urljoin, href)
            if url:
                related.append({"headline": node_text(node), "url": url})
        return related

    def access(self) -> list[dict]:
        """The page's subscriber markers, raw: the post container's data-premium and the
        body's classes (the loader's access_level decides). JSON-LD isAccessibleForFree is
        not read: FP sets it to "False" on every metered article, free ones included (the
        real 2021 page: isAccessibleForFree "False" beside data-premium="no")."""
        return [{
            "premium": self.find_first(f"{self.PREMIUM_CONTAINER}::attr(data-premium)"),
            "body_class": self.body_class,
        }]
