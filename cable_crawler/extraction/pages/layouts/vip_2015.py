"""Era B: the `wp-content/themes/vip/foreign-policy` theme (WordPress VIP, 2015-17).

From public extraction rules (MARKUP.md, "Era B") and the fixture tests/site/2015/06/10/
kerry-heads-to-vienna/: a feature header (h1.feature-hed, p.feature-byline "BY ...")
and the text in div.feature-body or div.post-inner.
"""

from cable_crawler.extraction.pages.layouts.base import ArticlePage


class Vip2015Page(ArticlePage):
    layout = "vip_2015"
    HEADLINES = ("h1.feature-hed",)
    DEKS = ("p.feature-dek",)
    BYLINES = ("p.feature-byline",)
    BODY_CONTAINERS = ("div.feature-body", "div.post-inner")
    LEAD_FIGURES = ("div.feature-image",)
