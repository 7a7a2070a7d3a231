"""Era C: the `foreign-policy-2017` theme (2017 to about 2021).

Seen in real markup (tests/data/corpus/fp/article-2021-05-29-gay-reparations-fp2017-theme.html,
MARKUP.md "Era C"): div#main > div.post-content[data-post-id][data-premium] >
article.article, a header with span.hed-heading > h1.hed, h2.dek-heading and
address.author-list, the lead figure.figure-image, the text in div.post-content-main.
"""

from cable_crawler.extraction.pages.layouts.base import ArticlePage


class Fp2017Page(ArticlePage):
    layout = "fp2017"
    HEADLINES = ("h1.hed",)
    DEKS = ("h2.dek-heading", "div.dek-heading p.dek")
    BYLINES = ("div.feature-header-text address.author-list", "address.author-list")
    BODY_CONTAINERS = ("div.post-content-main",)
    LEAD_FIGURES = ("figure.figure-image",)
    POST_IDS = ("article.article::attr(data-post-id)", "div.post-content::attr(data-post-id)")
