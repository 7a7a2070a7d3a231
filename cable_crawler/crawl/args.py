"""Spider arguments (-a name=value): parsed and checked before any request is sent."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import unquote, urlsplit

from cable_crawler.extraction.boundary import is_on_site

DEFAULT_BASE_URL = "https://foreignpolicy.com"
DEFAULT_CHANNEL = "the-cable"
# An FP channel slug (/channel/<slug>/): lowercase words joined by single hyphens. Checked here,
# so that it is safe in a URL path and in the output file name ({channel}, incremental/outputs.py).
CHANNEL_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ArgumentError(ValueError):
    """A bad -a value. The message names the argument and says what is expected."""


@dataclass(frozen=True)
class CrawlArgs:
    # Each field's default is the argument's default: parse_args() and the `-h` listing read them here.
    base_url: str = DEFAULT_BASE_URL
    since: date | None = None
    until: date | None = None
    max_pages: int | None = None
    urls: tuple[str, ...] = field(default_factory=tuple)
    mode: str = "incremental"
    refresh_days: int = 2
    # user, password from a base_url like https://user:pass@staging.example/ (HTTP basic auth)
    auth: tuple[str, str] | None = None
    render: str | None = None          # "playwright", "splash" or "none"; None: splash when SPLASH_URL is set
    render_pages: tuple[str, ...] = ("index", "article")
    channel: str = DEFAULT_CHANNEL     # the FP channel slug: /channel/<slug>/
    source: str = "both"               # html (column index), api (WordPress REST API) or both

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    def in_window(self, day: date | None) -> bool:
        if day is None:
            return True  # unknown dates are fetched; the article page decides
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)


def _date(name: str, value) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ArgumentError(f"{name}={value!r} is not an ISO date (expected YYYY-MM-DD)") from None


def _base_url(value) -> tuple[str, tuple[str, str] | None]:
    """The site root without credentials, and the credentials if it had any."""
    text = str(value or "").strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("",) or parts.query:
        shown = text.replace(f"{parts.username}:{parts.password}@", "***@") if parts.password else text
        raise ArgumentError(f"base_url={shown!r} must be a site root such as https://foreignpolicy.com")
    auth = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    return f"{parts.scheme}://{netloc}", auth


MODES = ("incremental", "full")
RENDERERS = ("none", "splash", "playwright")
PAGE_KINDS = ("index", "article")
SOURCES = ("html", "api", "both")


def _whole_number(name: str, value, minimum: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ArgumentError(f"{name}={value!r} is not a whole number") from None
    if number < minimum:
        raise ArgumentError(f"{name}={value!r} must be {minimum} or more")
    return number


@dataclass(frozen=True)
class Argument:
    name: str
    default: str
    meaning: str


# The spider's arguments, declared once: parse_args() accepts exactly these names, and
# `scrapy crawl -h` lists them (operations/commands/crawl.py). README's table says more.
ARGUMENTS = (
    Argument("base_url", DEFAULT_BASE_URL, "site root (http(s)://host[:port])"),
    Argument("channel", DEFAULT_CHANNEL, "FP channel slug to crawl (/channel/<slug>/), e.g. situation-report"),
    Argument("since", "none", "ISO date: skip articles published before it, stop paging past it"),
    Argument("until", "none", "ISO date: skip articles published after it"),
    Argument("max_pages", "all", "how many column index pages to read"),
    Argument("urls", "none", "comma-separated article URLs on the site: scrape only those"),
    Argument("mode", CrawlArgs.mode, "incremental (skip what the crawl state knows unchanged) or full"),
    Argument("render", "splash if SPLASH_URL is set, else none",
             "playwright (render pages in Chromium), splash (through Splash) or none"),
    Argument("render_pages", ",".join(CrawlArgs.render_pages), "which pages are rendered when rendering"),
    Argument("refresh_days", str(CrawlArgs.refresh_days), "incremental: fetch known articles of the last N days again"),
    Argument("source", CrawlArgs.source, "html (column index), api (WordPress REST API) or both (index + API cross-check)"),
)


def arguments_help() -> str:
    width = max(len(a.name) for a in ARGUMENTS)
    return "\n".join(f"  -a {a.name}=...{' ' * (width - len(a.name))}  {a.meaning} (default: {a.default})"
                     for a in ARGUMENTS)


def parse_args(base_url=None, since=None, until=None, max_pages=None, urls=None, mode=None,
               refresh_days=None, render=None, render_pages=None, channel=None, source=None,
               **unknown) -> CrawlArgs:
    unknown = {k: v for k, v in unknown.items() if not k.startswith("_")}  # Scrapyd passes _job
    if unknown:
        names = ", ".join(sorted(unknown))
        known = ", ".join(a.name for a in ARGUMENTS)
        raise ArgumentError(f"unknown argument(s): {names} (known: {known}; see scrapy crawl -h)")
    base, auth = _base_url(base_url if base_url not in (None, "") else DEFAULT_BASE_URL)
    since_date, until_date = _date("since", since), _date("until", until)
    if since_date and until_date and since_date > until_date:
        raise ArgumentError(f"since={since_date} is after until={until_date}")
    channel_slug = CrawlArgs.channel if channel in (None, "") else str(channel)
    if not CHANNEL_SLUG.fullmatch(channel_slug):
        raise ArgumentError(f"channel={channel!r} is not a channel slug (lowercase letters, digits and "
                            f"single hyphens, e.g. situation-report)")
    pages = _whole_number("max_pages", max_pages, minimum=1)
    refresh = _whole_number("refresh_days", refresh_days, minimum=0)
    mode_name = str(mode).strip().lower() if mode not in (None, "") else CrawlArgs.mode
    if mode_name not in MODES:
        raise ArgumentError(f"mode={mode!r} is not one of: {', '.join(MODES)}")
    renderer = str(render).strip().lower() if render not in (None, "") else None
    if renderer is not None and renderer not in RENDERERS:
        raise ArgumentError(f"render={render!r} is not one of: {', '.join(RENDERERS)}")
    kinds = tuple(k.strip().lower() for k in str(render_pages or ",".join(CrawlArgs.render_pages)).split(",")
                  if k.strip())
    if not kinds or any(k not in PAGE_KINDS for k in kinds):
        raise ArgumentError(f"render_pages={render_pages!r}: comma-separated, from: {', '.join(PAGE_KINDS)}")
    source_name = str(source).strip().lower() if source not in (None, "") else CrawlArgs.source
    if source_name not in SOURCES:
        raise ArgumentError(f"source={source!r} is not one of: {', '.join(SOURCES)}")
    url_list: list[str] = []
    for raw in str(urls or "").split(","):
        raw = raw.strip()
        if not raw:
            continue
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ArgumentError(f"urls: {raw!r} is not an absolute http(s) URL")
        if not is_on_site(raw, base):  # the rule SameSiteMiddleware applies to every request
            raise ArgumentError(f"urls: {raw!r} is not on the crawled site {base}")
        url_list.append(raw)
    if urls not in (None, "") and not url_list:
        raise ArgumentError("urls is empty (expected comma-separated article URLs)")
    return CrawlArgs(base_url=base, since=since_date, until=until_date, max_pages=pages, urls=tuple(url_list),
                     mode=mode_name, refresh_days=CrawlArgs.refresh_days if refresh is None else refresh, auth=auth,
                     render=renderer, render_pages=kinds, channel=channel_slug, source=source_name)
