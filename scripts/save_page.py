"""Saves a live page as a new saved-page test: tests/pages/<layout>/<name>/ with
page.html (the bytes as received), meta.json and expected.json from the current code.

    make fixture URL=https://foreignpolicy.com/2024/01/05/some-cable-story/ [NAME=...]
    python scripts/save_page.py URL [--name NAME] [--pages DIR] [-s SETTING=VALUE ...]

The page is fetched by Scrapy with the project's settings, so the crawl's politeness
applies: robots.txt is obeyed, USER_AGENT, retries with backoff, the same-site rule
for redirects. Review expected.json before committing: it is what the code reads
today, not necessarily what is right.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.project import get_project_settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import saved_pages  # noqa: E402
from saved_pages import LISTING, PAGES_DIR, SavedPage, layout_of, result_json  # noqa: E402

from cable_crawler.spiders.cable import download_error_reason  # noqa: E402

# Pages read as column indexes (entries + next page), not as articles.
LISTING_PATH = re.compile(r"^/(?:$|channel/|category/)")


class SavePageSpider(scrapy.Spider):
    """Fetches one URL and keeps the response (or why there is none)."""

    name = "save_page"

    def __init__(self, url: str, **kwargs):
        super().__init__(**kwargs)
        self.url = url
        parts = urlsplit(url)
        # SameSiteMiddleware reads the crawled site from spider.args.base_url: a redirect
        # off the page's site is refused, as in a crawl.
        self.args = SimpleNamespace(base_url=f"{parts.scheme}://{parts.netloc}")
        self.response = None
        self.error: str | None = None

    async def start(self):
        yield scrapy.Request(self.url, callback=self.keep, errback=self.failed, dont_filter=True)

    def keep(self, response):
        self.response = response

    def failed(self, failure):
        if failure.check(HttpError):
            self.error = f"HTTP {failure.value.response.status}"
        else:
            self.error = download_error_reason(failure.value)  # e.g. "IgnoreRequest: Forbidden by robots.txt"


def fetch(url: str, overrides: dict[str, str]) -> SavePageSpider:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "cable_crawler.settings")
    settings = get_project_settings()
    # The downloader as configured for the crawl; none of the crawl's outputs, state or monitors.
    settings.setdict({"ITEM_PIPELINES": {}, "EXTENSIONS": {}, "SPIDERMON_ENABLED": False,
                      "STATS_CLASS": "scrapy.statscollectors.MemoryStatsCollector",  # no stats history
                      "LOG_LEVEL": "WARNING"}, priority="cmdline")
    settings.setdict(overrides, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SavePageSpider)
    process.crawl(crawler, url=url)
    process.start()
    return crawler.spider


def page_name(url: str, today: str) -> str:
    """yyyy-mm-dd-slug for an article URL (/yyyy/mm/dd/slug/); path words and the
    date saved for anything else (an index changes from day to day)."""
    parts = urlsplit(url)
    words = [w for w in parts.path.split("/") if w]
    if len(words) >= 4 and all(w.isdigit() for w in words[:3]):
        name = "-".join(words[:4])
    else:
        name = "-".join(words + [parts.query] if parts.query else words) or "homepage"
        name = f"{name}-{today}"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:150] or "page"


def save(url: str, name: str | None, pages_dir: Path, overrides: dict[str, str]) -> int:
    today = datetime.now(timezone.utc).date().isoformat()
    spider = fetch(url, overrides)
    response = spider.response
    if response is None:
        print(f"not saved: {url}: {spider.error or 'no response'}", file=sys.stderr)
        return 1
    is_listing = bool(LISTING_PATH.match(urlsplit(response.url).path))
    layout = LISTING if is_listing else layout_of(response)
    directory = pages_dir / layout / (name or page_name(response.url, today))
    if directory.exists():
        print(f"not saved: {directory} exists (give another NAME=, or remove it first)", file=sys.stderr)
        return 1
    directory.mkdir(parents=True)
    (directory / "page.html").write_bytes(response.body)
    meta = {"url": response.url, "saved_at": today, "source": f"saved from {url} with make fixture",
            "layout": layout,
            "content_type": response.headers.get("Content-Type", b"text/html").decode("latin-1")}
    if response.url != url:
        meta["notes"] = f"requested as {url}, answered at {response.url}"
    if layout == "unknown":
        why = ("no layout detection in cable_crawler yet" if saved_pages.detect_layout is None
               else "no known layout detected")
        meta["notes"] = "; ".join(filter(None, (meta.get("notes"), f"{why}: move it under tests/pages/<layout>/"
                                                                     " if it has one")))
    (directory / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", "utf-8")
    (directory / "expected.json").write_bytes(result_json(SavedPage(directory).result()).encode("utf-8"))
    print(directory)
    print("review expected.json before committing")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--name", help="the page's directory name (default: from its URL)")
    parser.add_argument("--pages", type=Path, default=PAGES_DIR, help="the saved pages (default: tests/pages)")
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting for this fetch, as with scrapy crawl -s")
    options = parser.parse_args(argv)
    if urlsplit(options.url).scheme not in ("http", "https"):
        parser.error(f"not an http(s) URL: {options.url}")
    overrides = dict(s.split("=", 1) for s in options.settings)
    return save(options.url, options.name, options.pages, overrides)


if __name__ == "__main__":
    sys.exit(main())
