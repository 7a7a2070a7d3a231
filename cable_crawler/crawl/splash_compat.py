"""Lets scrapy-splash 0.11.1 (the latest release) run under current Scrapy.

Two names it uses are gone from Scrapy (scrapy-plugins/scrapy-splash issue #332,
open); both still exist under new names, so putting the old names back is the
whole fix. Remove this module when a scrapy-splash release catches up.
- scrapy_splash/dupefilter.py: `from scrapy.utils.url import canonicalize_url`,
  re-exported from w3lib until Scrapy 2.12;
- SplashMiddleware (slot policy PER_DOMAIN): `Downloader._get_slot_key(request,
  spider)`, now `Downloader.get_slot_key(request)`.
"""

import warnings

import scrapy.utils.url
import w3lib.url
from scrapy.core.downloader import Downloader
from scrapy.exceptions import ScrapyDeprecationWarning

# The deprecations these third-party releases trigger on every run (their middlewares
# take a `spider` argument; Spidermon's runner calls Spider.log()): not the operator's
# to act on, so they stay out of the crawl log. Ours are still shown.
warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning,
                        message=r"(Splash\w*Middleware\.process_\w+\(\) requires a spider argument"
                                r"|Spider\.log\(\) is deprecated)")

if not hasattr(scrapy.utils.url, "canonicalize_url"):
    scrapy.utils.url.canonicalize_url = w3lib.url.canonicalize_url

if not hasattr(Downloader, "_get_slot_key") and hasattr(Downloader, "get_slot_key"):
    def _get_slot_key(self, request, spider=None):
        return self.get_slot_key(request)

    Downloader._get_slot_key = _get_slot_key
