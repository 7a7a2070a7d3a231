"""Rendering pages in a real Chromium through scrapy-playwright (-a render=playwright).

Splash is being retired upstream (scrapinghub/splash#1189); Playwright is what the
Scrapy ecosystem now recommends. The browser is Debian's `chromium` package
(scripts/chromium.sh installs it): `playwright install` downloads browsers from the
internet, which these machines cannot reach. CABLE_CHROMIUM_PATH names another one.

What the browser may do is the same as with Splash: it loads the crawled site's
own documents and scripts only. Images, fonts and media are not loaded (their
bytes are not needed to read a page), and no other host is contacted (no
trackers, ads, third-party scripts). The response keeps the page's own HTTP
status (scrapy-playwright passes the navigation response's status through), and
scrapy-playwright closes each page after its response is read, so a long crawl
holds no pages open.

scrapy-playwright's download handler is installed only for a crawl that renders
with Playwright (the spider sets it while it is built, before the settings are
frozen): a plain crawl starts no Playwright driver and no browser.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written
from cable_crawler.extraction.boundary import is_on_site

HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
# Resource types of the page's subrequests that reading a page never needs.
BLOCKED_RESOURCE_TYPES = frozenset({"image", "media", "font"})
# Debian's package installs /usr/bin/chromium; other distributions name it differently.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class BrowserMissing(RuntimeError):
    """No Chromium to render with."""


def chromium_path(settings) -> str:
    """The Chromium executable: CABLE_CHROMIUM_PATH when set, else the first of
    CHROMIUM_NAMES on PATH. BrowserMissing says how to install one."""
    configured = settings.get("CABLE_CHROMIUM_PATH", defaults.CABLE_CHROMIUM_PATH)
    if configured:
        if not Path(configured).is_file():
            raise BrowserMissing(f"CABLE_CHROMIUM_PATH={configured!r} is not a file")
        return configured
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserMissing("no Chromium found on PATH (" + ", ".join(CHROMIUM_NAMES) + "): install Debian's with"
                         " `bash scripts/chromium.sh install`, or set CABLE_CHROMIUM_PATH")


def only_the_site(base_url: str):
    """scrapy-playwright's PLAYWRIGHT_ABORT_REQUEST predicate: True (abort) for images,
    fonts and media, and for any request off the crawled site (extraction/boundary.is_on_site,
    the crawl's one site rule)."""
    def abort_request(request) -> bool:
        if request.resource_type in BLOCKED_RESOURCE_TYPES:
            return True
        if urlsplit(request.url).scheme in ("data", "blob", "about"):
            return False  # inline: no host contacted
        return not is_on_site(request.url, base_url)
    return abort_request


def playwright_settings(settings, base_url: str) -> dict:
    """The Scrapy settings of a crawl that renders with Playwright (BrowserMissing when
    there is no Chromium): scrapy-playwright's handler for http and https, Chromium
    headless from its path, the abort rule, timeouts and page limits."""
    timeout = settings.getfloat("CABLE_PLAYWRIGHT_TIMEOUT", defaults.CABLE_PLAYWRIGHT_TIMEOUT)
    return {
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": chromium_path(settings),
            "headless": True,
            # --no-sandbox: Chromium's sandbox needs user namespaces, which containers and
            # root (CI) do not give it; the browser only ever loads the crawled site.
            "args": ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
            "timeout": timeout * 1000,
        },
        "PLAYWRIGHT_ABORT_REQUEST": only_the_site(base_url),
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": timeout * 1000,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": settings.getint("CABLE_PLAYWRIGHT_MAX_PAGES",
                                                            defaults.CABLE_PLAYWRIGHT_MAX_PAGES),
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        # A browser that dies (killed, out of memory) is started again for the next page.
        "PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER": True,
    }


def page_meta(settings) -> dict:
    """The request meta of a page rendered with Playwright: waits CABLE_PLAYWRIGHT_WAIT
    seconds after the load event, for content the page's scripts add late."""
    from scrapy_playwright.page import PageMethod

    wait = settings.getfloat("CABLE_PLAYWRIGHT_WAIT", defaults.CABLE_PLAYWRIGHT_WAIT)
    methods = [PageMethod("wait_for_timeout", wait * 1000)] if wait > 0 else []
    return {"playwright": True, "playwright_page_methods": methods}
