"""Reads a column index (listing) page: its article entries and the next page."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from cable_crawler.extraction.pages.markup import ancestors, attr, page_root, select, select_first
from cable_crawler.extraction.processors import clean_text, comparison_key, date_from_url, parse_datetime

# Column entries in the main listing. Sidebars ("Trending", "Recent") use plain
# div.excerpt-content without blog-list-layout and are other columns' articles.
ENTRY_NODES = (
    "div.blog-list-layout div.excerpt-content--list",
    "div.blog-list-layout div.excerpt-content",
    "div.blog-list-layout",
)
# Teaser blocks inside an article ("Read More", "More from Foreign Policy") are not entries.
_OUTSIDE_LISTING_TAGS = ("article", "aside", "footer")
_OUTSIDE_LISTING_CLASS_PARTS = ("related", "fp_choose_placement")
NEXT_LINKS = (
    "a.next.page-numbers::attr(href)", "link[rel=next]::attr(href)", "a[rel=next]::attr(href)",
    ".pagination a.next::attr(href)", "a.load-more::attr(href)", "a.load-more::attr(data-href)",
)


@dataclass(frozen=True)
class ListingEntry:
    url: str
    published: date | None
    post_id: str | None
    headline: str = ""
    dek: str = ""

    @property
    def signature(self) -> str:
        """What the index shows of the article: when FP updates a story's
        headline or dek, the signature changes and the article is fetched again."""
        shown = "\n".join((comparison_key(self.headline), comparison_key(self.dek),
                           self.published.isoformat() if self.published else ""))
        return hashlib.sha256(shown.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class ListingPage:
    entries: list[ListingEntry]
    next_url: str | None


def _outside_listing(node) -> bool:
    """Whether an ancestor of the node is an article, aside, footer or related-posts block."""
    return any(ancestor.tag in _OUTSIDE_LISTING_TAGS
               or any(part in (attr(ancestor, "class") or "") for part in _OUTSIDE_LISTING_CLASS_PARTS)
               for ancestor in ancestors(node))


def _string_of_first(node, css: str) -> str | None:
    """The string value of the first element `css` selects (all its text, as XPath string())."""
    found = select_first(node, css)
    return found.text(deep=True, separator="") if found is not None else None


def _entry(node, urljoin) -> ListingEntry | None:
    href = (select_first(node, "a.hed-heading::attr(href)")
            or select_first(node, "h3.hed a::attr(href), h2 a::attr(href), h3 a::attr(href)")
            or select_first(node, "figure a::attr(href)"))
    if not href:
        return None
    try:
        url = urljoin(clean_text(href))
    except ValueError:
        return None  # an unparsable link: the spider reports entries it cannot follow
    when = parse_datetime(select_first(node, "time::attr(datetime)"))
    published = when.date() if when else date_from_url(url)
    headline = clean_text(_string_of_first(node, "h3.hed") or _string_of_first(node, "a.hed-heading"))
    dek = clean_text(_string_of_first(node, "p.dek"))
    return ListingEntry(url=url, published=published, post_id=attr(node, "data-post-id"),
                        headline=headline, dek=dek)


def parse_listing(response) -> ListingPage:
    root = page_root(response)
    entries: list[ListingEntry] = []
    for query in ENTRY_NODES:
        nodes = [n for n in select(root, query) if not _outside_listing(n)]
        if nodes:
            entries = [e for e in (_entry(n, response.urljoin) for n in nodes) if e]
            break
    next_href = next((h for q in NEXT_LINKS if (h := select_first(root, q))), None)
    try:
        next_url = response.urljoin(clean_text(next_href)) if next_href else None
    except ValueError:
        next_url = None
    if next_url == response.url:
        next_url = None  # a template that links a page to itself would loop
    return ListingPage(entries=entries, next_url=next_url)
