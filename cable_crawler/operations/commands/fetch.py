"""`scrapy fetch`, without the crawl's monitors (see parse.py)."""

from scrapy.commands.fetch import Command as ScrapyFetchCommand

from cable_crawler.operations.commands.parse import without_monitors


class Command(ScrapyFetchCommand):
    def process_options(self, args, opts):
        super().process_options(args, opts)
        without_monitors(self.settings)
