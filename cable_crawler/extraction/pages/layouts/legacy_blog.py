"""Era A: the legacy Cable blog (thecable.foreignpolicy.com/posts/..., before 2015).

From public extraction rules only (tests/data/corpus/fp/MARKUP.md, "Era A"): no real page
of this era has been seen. Its posts now redirect to foreignpolicy.com article URLs.
"""

from cable_crawler.extraction.pages.layouts.base import ArticlePage


class LegacyBlogPage(ArticlePage):
    layout = "legacy_blog"
    # Blog posts (div.translate*) and magazine articles (#art-*).
    HEADLINES = ("div.translateHead h1", "#art-mast h1")
    BYLINES = ("span.post_by", "span#by-line")
    BODY_CONTAINERS = ("div.translateBody", "#art-body")
