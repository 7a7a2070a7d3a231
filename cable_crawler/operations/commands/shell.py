"""`scrapy shell`, without the crawl's monitors (see parse.py), with the page reader's view
of an article page beside Scrapy's: `page` (the page object of its layout; `page.root` is
the HTML5 tree the reader queries, `page.headline()` and the other field methods give their
raw candidates) and `select(node, css)`, the reader's query. `response.css()` asks parsel's
libxml2 tree, which can differ from the reader's on broken markup (docs/design.md,
"Reading a page fast")."""

from scrapy.commands.shell import Command as ScrapyShellCommand
from scrapy.http import HtmlResponse

from cable_crawler.operations.commands.parse import without_monitors


class Command(ScrapyShellCommand):
    def process_options(self, args, opts):
        super().process_options(args, opts)
        without_monitors(self.settings)

    def update_vars(self, vars):  # noqa: A002 (Scrapy's name)
        """Scrapy's documented hook, called for each response the shell fetches."""
        # Imported here: Scrapy imports every command's module at each start, a crawl's too.
        from cable_crawler.extraction.pages.encoding import readable
        from cable_crawler.extraction.pages.layouts import article_page
        from cable_crawler.extraction.pages.markup import select

        response = vars.get("response")
        vars["select"] = select
        vars["page"] = article_page(readable(response)) if isinstance(response, HtmlResponse) else None
