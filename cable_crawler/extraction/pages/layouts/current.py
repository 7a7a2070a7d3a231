"""Era D: the current theme (about 2022 to now).

From public extraction rules and scripts (MARKUP.md, "Era D"), no real page seen: the
headline in div.hed-heading > h1.hed, the byline in div.author-bio-text ("By <a>Name</a>,
a staff writer ..."), the full text in div.content-gated (inner wrapper
div.content-gated--main-article) beside a teaser copy in div.content-ungated, which is
read only when nothing else holds text. Insider posts: body.is-fp-insider, the full text
only in JSON-LD Articlebody.
"""

from cable_crawler.extraction.pages.layouts.base import ArticlePage


class CurrentPage(ArticlePage):
    layout = "current"
    HEADLINES = ("h1.hed", "div.hed-heading h1")
    DEKS = ("h2.dek-heading", "div.dek-heading p.dek")
    BYLINES = ("div.author-bio-text",)
    BODY_CONTAINERS = ("div.content-gated--main-article", "div.content-gated", "div.post-content-main",
                       "div.entry-content", "div.content-ungated")
    LEAD_FIGURES = ("figure.figure-image",)
    POST_IDS = ("article.article::attr(data-post-id)", "div.post-content::attr(data-post-id)")
