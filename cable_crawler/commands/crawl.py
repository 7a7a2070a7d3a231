"""`scrapy crawl`, with spider arguments checked first and monitors in the exit status.

- Scrapy only builds the spider once the engine is starting, and an exception
  there ends in a traceback. Spiders that define `check_arguments(**kwargs)` get
  a one-line error instead, and the process exits with status 2 before any
  request is sent.
- Output, state and JOBDIR settings are checked too (writable directories,
  file names that stay inside CABLE_OUTPUT_DIR): same one-line error, status 2.
- Scrapy exits 0 whatever its monitors found. When the crawl's Spidermon checks
  failed (stat `cable/monitors_failed`), the exit status is 1, so cron and
  other schedulers can alert.
"""

import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from ..outputs import OutputPathError, check_settings


class Command(ScrapyCrawlCommand):
    def run(self, args, opts):
        try:
            check_settings(self.settings)
        except OutputPathError as error:
            print(f"scrapy crawl: error: {error}", file=sys.stderr)
            self.exitcode = 2
            return
        if len(args) == 1 and self.crawler_process is not None:
            try:
                spider_class = self.crawler_process.spider_loader.load(args[0])
            except KeyError:
                spider_class = None
            check = getattr(spider_class, "check_arguments", None)
            if check is not None:
                try:
                    check(**opts.spargs)
                except ValueError as error:
                    print(f"scrapy crawl {args[0]}: error: {error}", file=sys.stderr)
                    self.exitcode = 2
                    return
        super().run(args, opts)
        failed = [c.stats.get_value("cable/monitors_failed") for c in self._crawlers]
        if any(failed):
            self.exitcode = 1

    def _create_crawler(self, *args, **kwargs):
        crawler = super()._create_crawler(*args, **kwargs)
        self._crawlers = [*getattr(self, "_crawlers", []), crawler]
        return crawler
