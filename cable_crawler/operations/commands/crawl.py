"""`scrapy crawl`, with spider arguments checked first and monitors in the exit status.

- Scrapy only builds the spider once the engine is starting, and an exception
  there ends in a traceback. Spiders that define `check_arguments(**kwargs)` get
  a one-line error instead, and the process exits with status 2 before any
  request is sent.
- Output, state and JOBDIR settings are checked too (writable directories,
  file names that stay inside CABLE_OUTPUT_DIR), and so is the crawl state
  database (a corrupt one): same one-line error, status 2.
- One crawl at a time per crawl state and per JOBDIR: the command takes both
  locks (cable_crawler/incremental/locks.py) for the life of the process; while another
  crawl holds one, the command stops with a one-line error naming it, status 2.
- Scrapy exits 0 whatever its monitors found. When the crawl's Spidermon checks
  failed (stat `cable/monitors_failed`), or a file could not be written or
  published (`cable/output_failed`), the exit status is 1, so cron and other
  schedulers can alert.
"""

import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from cable_crawler.incremental import resume, state
from cable_crawler.incremental.locks import AlreadyLocked
from cable_crawler.incremental.outputs import OutputPathError, check_settings


class Command(ScrapyCrawlCommand):
    def run(self, args, opts):
        if len(args) < 1:
            raise UsageError
        if len(args) > 1:
            raise UsageError("running 'scrapy crawl' with more than one spider is not supported")
        try:
            check_settings(self.settings)
            state.lock(self.settings)  # held until the process exits
            if self.settings.get("JOBDIR"):
                resume.lock(self.settings.get("JOBDIR"))
            state.check(self.settings)
        except (OutputPathError, AlreadyLocked, state.StateError) as error:
            print(f"scrapy crawl: error: {error}", file=sys.stderr)
            self.exitcode = 2
            return
        assert self.crawler_process is not None
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
        # Scrapy's own run(), through the public CrawlerProcess API, keeping the crawler
        # to read its stats once the crawl is over.
        crawler = self.crawler_process.create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1  # the crawl never started; Scrapy logged why (its stats may not exist)
            return
        stats = crawler.stats
        if stats.get_value("cable/monitors_failed") or stats.get_value("cable/output_failed"):
            self.exitcode = 1
