"""Reading one article page: response -> (item, layout).

The page's layout is told by its markers (layouts.detect_layout); that layout's page
object finds each field's candidates (layouts/base.py states the rule), and the
ArticleLoader normalizes them into the item.
"""

from __future__ import annotations

from cable_crawler.items import ArticleItem
from cable_crawler.extraction.pages.encoding import readable
from cable_crawler.extraction.pages.layouts import ArticlePage, article_page
from cable_crawler.extraction.pages.markup import PageCuts


def read_page(response, column: str = "The Cable", base_url: str | None = None, other_pages=frozenset(),
              cuts: PageCuts | None = None) -> tuple[ArticleItem, ArticlePage]:
    """The article item of an HTML response and the page object that read it (its layout, the
    canonical link it did not trust), as the crawl reads it (encoding repaired first), before
    the pipelines. What the page has beyond PAGE_LIMITS is left out and counted in `cuts`."""
    page = article_page(readable(response), base_url=base_url, other_pages=other_pages, cuts=cuts)
    return page.to_item(column), page


def read_article(response, column: str = "The Cable", base_url: str | None = None, other_pages=frozenset(),
                 cuts: PageCuts | None = None) -> tuple[ArticleItem, str]:
    """The article item of an HTML response and the name of its layout (read_page)."""
    item, page = read_page(response, column, base_url, other_pages, cuts)
    return item, page.layout


__all__ = ["ArticlePage", "article_page", "read_article", "read_page"]
