"""`scrapy parse`, for debugging one page, without the crawl's monitors.

- The crawl's Spidermon monitors judge a crawl (index read, output published...):
  run after one page they fail and print "MONITORS FAILED". Debugging commands
  (`parse`, `shell`, `fetch`: this module and its siblings) turn Spidermon off.
- The cable spider only requests pages of its site (-a base_url, foreignpolicy.com by
  default); Scrapy would print only "No response downloaded" for a URL elsewhere.
  Without -a base_url, the site is taken from the URL (the loopback test site, a
  staging copy); with a base_url the URL is not on, one line says so (status 2).
  Spider arguments are checked first, as by our `scrapy crawl`.
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from scrapy.commands.parse import Command as ScrapyParseCommand
from w3lib.url import is_url

from cable_crawler.crawl.args import DEFAULT_BASE_URL, ArgumentError, parse_args
from cable_crawler.extraction.boundary import is_on_site


def without_monitors(settings) -> None:
    """Debugging commands run no crawl monitors and add nothing to the crawls' stats history
    (command-line priority: above settings.py)."""
    settings.set("SPIDERMON_ENABLED", False, priority="cmdline")
    settings.set("STATS_CLASS", "scrapy.statscollectors.MemoryStatsCollector", priority="cmdline")


def site_for(url: str, spargs: dict) -> tuple[str | None, str | None]:
    """(base_url to use, or None to keep the spider's; an error message, or None)."""
    base = parse_args(base_url=spargs.get("base_url")).base_url
    if is_on_site(url, base):  # the rule the site boundary middleware applies (extraction/boundary.py)
        return None, None
    parts = urlsplit(url)
    url_site = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
    if spargs.get("base_url"):
        return None, f"{url} is not on base_url={base}, so the spider would not request it: pass -a base_url={url_site}"
    return url_site, None


class Command(ScrapyParseCommand):
    def process_options(self, args, opts):
        super().process_options(args, opts)
        without_monitors(self.settings)

    def run(self, args, opts):
        spider_name = opts.spider or "cable"
        if len(args) == 1 and is_url(args[0]) and spider_name == "cable":
            try:
                base, error = site_for(args[0], opts.spargs)
                if base is not None:
                    opts.spargs["base_url"] = base
                    print(f"scrapy parse: {args[0]} is not on {DEFAULT_BASE_URL}: reading it with "
                          f"-a base_url={base}", file=sys.stderr)
                parse_args(**opts.spargs)
            except ArgumentError as problem:
                base, error = None, str(problem)
            if error:
                print(f"scrapy parse: error: {error}", file=sys.stderr)
                self.exitcode = 2
                return
        super().run(args, opts)
