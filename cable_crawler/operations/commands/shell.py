"""`scrapy shell`, without the crawl's monitors (see parse.py)."""

from scrapy.commands.shell import Command as ScrapyShellCommand

from cable_crawler.operations.commands.parse import without_monitors


class Command(ScrapyShellCommand):
    def process_options(self, args, opts):
        super().process_options(args, opts)
        without_monitors(self.settings)
