"""A page of no known layout: read from what every page has, whatever its template.

No era's selectors: the page's JSON-LD article, og: and head meta, and the generic
WordPress/HTML5 markup of ArticlePage (article, figure, time[datetime], .byline). The
spider logs a warning and counts cable/layout/unknown: a new FP theme shows up there
first, and its own page class belongs in pages/layouts/.
"""

from cable_crawler.extraction.pages.layouts.base import ArticlePage


class UnknownLayoutPage(ArticlePage):
    layout = "unknown"
