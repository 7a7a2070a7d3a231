"""Article page objects, one per FP template era, and the function that tells the era.

    base.py         ArticlePage: one method per item field, the find/normalize rule
    legacy_blog.py  Era A: the legacy Cable blog (before 2015)
    vip_2015.py     Era B: wp-content/themes/vip/foreign-policy (2015-17)
    fp2017.py       Era C: foreign-policy-2017 (2017 to about 2021)
    current.py      Era D: the current theme (about 2022 to now)
    unknown.py      no known layout: JSON-LD, og:/meta and generic markup only

detect_layout() reads the page's own markers, never its date or URL: FP serves old posts
in whatever theme was current when the page was saved or rendered.
"""

from __future__ import annotations

from cable_crawler.extraction.pages.layouts.base import PAGE_FIELDS, ArticlePage
from cable_crawler.extraction.pages.markup import page_root
from cable_crawler.extraction.pages.layouts.current import CurrentPage
from cable_crawler.extraction.pages.layouts.fp2017 import Fp2017Page
from cable_crawler.extraction.pages.layouts.legacy_blog import LegacyBlogPage
from cable_crawler.extraction.pages.layouts.unknown import UnknownLayoutPage
from cable_crawler.extraction.pages.layouts.vip_2015 import Vip2015Page

LAYOUTS: dict[str, type[ArticlePage]] = {
    page.layout: page for page in (LegacyBlogPage, Vip2015Page, Fp2017Page, CurrentPage, UnknownLayoutPage)
}

# Each layout's markers (CSS), checked in this order; the first layout with a marker wins.
# The order matters: pages carry other eras' leftovers (the fixtures' header, copied from
# the 2018 home page, loads foreign-policy-2017 assets on a current-theme or a
# vip/foreign-policy page), so the newest container markers come first, then the
# vip theme's own stylesheet, then foreign-policy-2017's assets and containers.
LAYOUT_MARKERS = (
    ("legacy_blog", "div.translateHead, div.translateBody, span.post_by, #art-mast, #art-body"),
    ("current", "div.content-gated--main-article, div.content-gated, div.hed-heading, body.is-fp-insider"),
    ("vip_2015", "link[href*='/themes/vip/foreign-policy/'], script[src*='/themes/vip/foreign-policy/'],"
                 " h1.feature-hed, div.feature-body"),
    ("fp2017", "link[href*='/foreign-policy-2017/'], script[src*='/foreign-policy-2017/'],"
               " div.post-content-main, span.hed-heading h1.hed, article.article[data-post-id]"),
)


def detect_layout(root) -> str:
    """The page's layout name (a key of LAYOUTS): the first in LAYOUT_MARKERS whose
    markers the page has, else "unknown". `root`: the page's root node (markup.page_root)."""
    for layout, css in LAYOUT_MARKERS:
        if root.css_matches(css):  # stops at the first element that matches
            return layout
    return "unknown"


def article_page(response, base_url: str | None = None, other_pages=frozenset(), cuts=None) -> ArticlePage:
    """The page object of the response's layout."""
    root = page_root(response)
    return LAYOUTS[detect_layout(root)](response, base_url=base_url, other_pages=other_pages, cuts=cuts, root=root)


__all__ = ["LAYOUTS", "LAYOUT_MARKERS", "PAGE_FIELDS", "ArticlePage", "article_page", "detect_layout"]
