"""Saved pages: real or fixture pages kept with the whole result expected from them.

tests/pages/<layout>/<name>/ holds
- page.html: the page bytes as served (the loopback site serves the same file:
  tests/site/<path>/index.html is a symlink to it);
- meta.json: {"url", "saved_at", "source", "layout", "content_type", "notes"?};
- expected.json: what the crawl makes of the page. For an article, the record as
  written to the JSONL line (schema key order) without crawled_at; for a page the
  crawl rejects, {"rejected": [reasons]}; for a column index (layout "listing"),
  {"entries": [...], "next_url": ...}.

Used by tests/test_saved_pages.py, scripts/regen_expected.py (`make expected`) and
scripts/save_page.py (`make fixture`): the three compute "the result" in one place,
page_result() below.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.http import HtmlResponse

from cable_crawler.extraction.pages import read_article as read_article_page
from cable_crawler.extraction.pages.layouts import detect_layout
from cable_crawler.extraction.pages.markup import page_root
from cable_crawler.extraction.pages.encoding import readable
from cable_crawler.extraction.pages.listing import parse_listing
from cable_crawler.spiders.cable import COLUMN_NAME, channel_name
from cable_crawler.extraction.validation import problems, record

PAGES_DIR = Path(__file__).resolve().parent / "pages"
PAGE_FILES = ("page.html", "meta.json", "expected.json")
META_KEYS = ("url", "saved_at", "source", "layout", "content_type")  # "notes" is optional
LISTING = "listing"  # column index pages: read by parse_listing, not as articles
LAYOUTS = ("legacy_blog", "vip_2015", "fp2017", "current", "unknown")
UNSTABLE_FIELDS = ("crawled_at",)  # changes every run


@dataclass(frozen=True)
class SavedPage:
    directory: Path

    @property
    def layout(self) -> str:
        return self.directory.parent.name

    @property
    def name(self) -> str:
        return f"{self.layout}/{self.directory.name}"

    @property
    def meta(self) -> dict:
        return json.loads((self.directory / "meta.json").read_text("utf-8"))

    @property
    def expected(self) -> dict:
        return json.loads((self.directory / "expected.json").read_text("utf-8"))

    def response(self) -> HtmlResponse:
        meta = self.meta
        return HtmlResponse(url=meta["url"], body=(self.directory / "page.html").read_bytes(),
                            headers={"Content-Type": meta["content_type"]})

    def result(self) -> dict:
        # meta.json's optional "channel" (a slug, as -a channel=) gives the column, as in the crawl.
        channel = self.meta.get("channel")
        return page_result(self.response(), self.meta["layout"], channel_name(channel) if channel else COLUMN_NAME)


def saved_pages(root: Path = PAGES_DIR) -> list[SavedPage]:
    """Every saved page under root, in path order."""
    return [SavedPage(meta.parent) for meta in sorted(Path(root).glob("*/*/meta.json"))]


def read_article(response, column: str = COLUMN_NAME) -> dict:
    """What the crawl writes for an article page: its record without crawled_at,
    or {"rejected": reasons} when the validation pipeline would reject it.
    The one place that turns a response into a record (the reading API changes here)."""
    parts = urlsplit(response.url)
    item, _ = read_article_page(response, column=column, base_url=f"{parts.scheme}://{parts.netloc}")
    data = record(item)
    reasons = problems(data)
    if reasons:
        return {"rejected": reasons}
    return {field: value for field, value in data.items() if field not in UNSTABLE_FIELDS}


def read_listing(response) -> dict:
    """What the crawl reads from a column index page: its entries and next page."""
    listing = parse_listing(readable(response))
    entries = [{**asdict(entry), "published": entry.published.isoformat() if entry.published else None}
               for entry in listing.entries]
    return {"entries": entries, "next_url": listing.next_url}


def page_result(response, layout: str, column: str = COLUMN_NAME) -> dict:
    return read_listing(response) if layout == LISTING else read_article(response, column)


def result_json(result: dict) -> str:
    """expected.json's text: keys in the order the crawl writes them, UTF-8 unescaped,
    indented, one trailing newline (so that `git diff tests/pages` reads well)."""
    return json.dumps(result, ensure_ascii=False, indent=2) + "\n"


def layout_of(response) -> str:
    """The page's layout (template era), as the crawl tells it. The only place
    save_page.py and the tests ask."""
    return detect_layout(page_root(readable(response)))


def differences(expected, actual, path: str = "") -> list[str]:
    """Readable differences between two JSON values: one entry per differing field
    (list items and nested keys by their path), each with expected and actual."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        lines = []
        for key in list(expected) + [k for k in actual if k not in expected]:
            where = f"{path}.{key}" if path else key
            if key not in actual:
                lines.append(f"{where}: expected {_show(expected[key])}, missing from the result")
            elif key not in expected:
                lines.append(f"{where}: not expected, the result has {_show(actual[key])}")
            else:
                lines += differences(expected[key], actual[key], where)
        return lines
    if isinstance(expected, list) and isinstance(actual, list):
        lines = []
        if len(expected) != len(actual):
            lines.append(f"{path}: expected {len(expected)} items, the result has {len(actual)}")
        for index, (want, got) in enumerate(zip(expected, actual)):
            lines += differences(want, got, f"{path}[{index}]")
        for index in range(min(len(expected), len(actual)), max(len(expected), len(actual))):
            extra = expected[index] if index < len(expected) else actual[index]
            side = "only expected" if index < len(expected) else "only in the result"
            lines.append(f"{path}[{index}]: {side}: {_show(extra)}")
        return lines
    if expected != actual or type(expected) is not type(actual):
        return [f"{path or '(whole)'}:\n      expected {_show(expected)}\n      actual   {_show(actual)}"]
    return []


def _show(value, limit: int = 300) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
