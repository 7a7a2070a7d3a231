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
- `-a channel=<slug>` whose index page answers 404 (stat `cable/unknown_channel`):
  one-line error, status 2 (the one status 2 known only after a request).
- `-O FILE` (overwrite) onto an earlier export while a crawl state exists is refused
  (status 2): the run writes only new and revised articles, so the export would be
  replaced by a fraction of itself. `-o FILE` adds them to it instead.
- At the default LOG_LEVEL (INFO), Scrapy's start-up lines (version banner, enabled
  components, overridden settings: ~100 lines) are left out, so the summary stays
  readable; LOG_LEVEL=DEBUG shows them. The stats dump stays.
- `scrapy crawl -h` lists the spider's arguments (declared in crawl/args.py).
"""

import argparse
import logging
import sys
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.commands import ScrapyHelpFormatter
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from cable_crawler.crawl.args import arguments_help
from cable_crawler.crawl.gc_threshold import before_exit
from cable_crawler.distributed.check import DistributedError, check_redis
from cable_crawler.incremental import resume, state
from cable_crawler.incremental.locks import AlreadyLocked
from cable_crawler.incremental.outputs import OutputPathError, check_settings


# Scrapy's start-up lines: (logger, message template start). Other lines of these loggers
# ("Received SIGTERM, shutting down gracefully", warnings, errors) still show.
STARTUP_LINES = {
    "scrapy.utils.log": ("Scrapy %(version)s started", "Versions:"),
    "scrapy.addons": ("Enabled addons:",),
    "scrapy.middleware": ("Enabled ",),
    "scrapy.crawler": ("Overridden settings:",),
}


def quiet_startup_logs(settings) -> None:
    level = settings.get("LOG_LEVEL", "DEBUG")
    level = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if isinstance(level, int) and level >= logging.INFO:
        # A filter, not setLevel(): Scrapy's configure_logging (dictConfig) resets the
        # levels of existing scrapy.* loggers when the CrawlerProcess is built; it keeps filters.
        for name, starts in STARTUP_LINES.items():
            logging.getLogger(name).addFilter(_StartupLines(starts))


class _StartupLines(logging.Filter):
    def __init__(self, starts: tuple[str, ...]):
        super().__init__()
        self.starts = starts

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.INFO and str(record.msg).startswith(self.starts))


def overwritten_exports(settings) -> list[Path]:
    """Local files that -O (FEEDS overwrite) would replace and that hold an earlier export."""
    found = []
    for uri, options in settings.getdict("FEEDS").items():
        uri = str(uri)
        if not (options or {}).get("overwrite") or "%(" in uri:
            continue
        parts = urlsplit(uri)
        if parts.scheme == "file":
            path = Path(parts.path)
        elif parts.scheme == "" or len(parts.scheme) == 1:  # a plain path (or a Windows drive)
            path = Path(uri)
        else:
            continue
        if path.is_file() and path.stat().st_size > 0:
            found.append(path)
    return found


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, ScrapyHelpFormatter):
    """Scrapy's help layout, with the epilog (the spider's arguments) kept as written."""


class Command(ScrapyCrawlCommand):
    def add_options(self, parser):
        super().add_options(parser)
        # `scrapy crawl -h` lists the spider's arguments too, from their one declaration.
        parser.formatter_class = _HelpFormatter
        parser.epilog = "Spider arguments (cable):\n" + arguments_help()

    def process_options(self, args, opts):
        super().process_options(args, opts)
        quiet_startup_logs(self.settings)

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
            if state.state_path(self.settings).exists():  # before check(), which creates it
                for path in overwritten_exports(self.settings):
                    raise OutputPathError(
                        f"-O would replace {path}, an earlier export, with only this run's new and revised "
                        f"articles (the crawl state skips the others): use -o {path} to add them to it, "
                        f"or move it away first")
            state.check(self.settings)
            check_redis(self.settings)  # distributed mode (CABLE_REDIS_URL): Redis answers, no JOBDIR
        except (OutputPathError, AlreadyLocked, state.StateError, DistributedError) as error:
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
        before_exit()  # the process ends after this command (crawl/gc_threshold.py)
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1  # the crawl never started; Scrapy logged why (its stats may not exist)
            return
        stats = crawler.stats
        if stats.get_value("cable/unknown_channel"):
            # The one exit status 2 after requests: -a channel= named no channel (its page answered 404).
            print(f"scrapy crawl {args[0]}: error: {stats.get_value('cable/unknown_channel')}", file=sys.stderr)
            self.exitcode = 2
            return
        if stats.get_value("cable/renderer_unavailable"):
            print(f"scrapy crawl {args[0]}: error: rendering failed: {stats.get_value('cable/renderer_unavailable')}",
                  file=sys.stderr)
            self.exitcode = 1
            return
        if (stats.get_value("cable/monitors_failed") or stats.get_value("cable/output_failed")
                or stats.get_value("cable/site_unreachable") or stats.get_value("cable/redis_lost")):
            self.exitcode = 1
