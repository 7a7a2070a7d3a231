"""Rendering pages through Splash (scrapy-splash): when, and how.

Pages go to Splash's `execute` endpoint with the Lua script below rather than
`render.html`: render.html answers 200 for a page that answered 404, so a
removed article would look like an empty page. The script returns the rendered
DOM *and* the page's own HTTP status and URL; scrapy-splash's magic response
turns them into the response's status, url and body.
"""

from __future__ import annotations

# The one place scrapy_splash is imported (the spider and settings.py use these names),
# so the shim that lets scrapy-splash 0.11.1 run under current Scrapy is applied first
# and only where scrapy-splash is loaded.
from cable_crawler.crawl import splash_compat  # noqa: F401  (before scrapy_splash)
from scrapy_splash import (  # noqa: E402, F401  (re-exported)
    SplashCookiesMiddleware, SplashMiddleware, SplashRequest, SplashRequestFingerprinter,
)

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written

LUA_SOURCE = """
function main(splash, args)
  splash.images_enabled = args.images ~= 0
  splash.resource_timeout = args.resource_timeout
  local ok, reason = splash:go(args.url)
  -- "http404" and the like: the page answered with an error status; keep it.
  if not ok and (type(reason) ~= "string" or string.sub(reason, 1, 4) ~= "http") then
    error("could not load " .. args.url .. ": " .. tostring(reason))
  end
  splash:wait(args.wait)
  local status = 200
  local entries = splash:history()
  if #entries > 0 then
    status = entries[#entries].response.status
  end
  return {url = splash:url(), html = splash:html(), http_status = status}
end
"""


def splash_url(render: str | None, settings) -> str | None:
    """The Splash to render through, or None: -a render=splash uses SPLASH_URL (or
    CABLE_SPLASH_DEFAULT_URL); without -a render, a configured SPLASH_URL turns it on."""
    configured = settings.get("SPLASH_URL") or None
    if render in ("none", "playwright") or (render is None and not configured):
        return None
    return (configured or settings.get("CABLE_SPLASH_DEFAULT_URL", defaults.CABLE_SPLASH_DEFAULT_URL)).rstrip("/")


def splash_args(settings, site_host: str) -> dict:
    return {
        "lua_source": LUA_SOURCE,
        "wait": settings.getfloat("CABLE_SPLASH_WAIT", defaults.CABLE_SPLASH_WAIT),
        "timeout": settings.getfloat("CABLE_SPLASH_TIMEOUT", defaults.CABLE_SPLASH_TIMEOUT),
        "resource_timeout": settings.getfloat("CABLE_SPLASH_RESOURCE_TIMEOUT", defaults.CABLE_SPLASH_RESOURCE_TIMEOUT),
        "images": settings.getint("CABLE_SPLASH_IMAGES", defaults.CABLE_SPLASH_IMAGES),
        # The browser loads nothing from other hosts: no trackers, ads or third-party scripts.
        "allowed_domains": site_host,
    }


def splash_error(body: bytes | None) -> str | None:
    """Splash's own error ("type: description") from an error response body, or None
    when the body is no Splash error (a page's status passed through)."""
    import json

    try:
        data = json.loads(body or b"")
    except ValueError:
        return None
    if not isinstance(data, dict) or "error" not in data:
        return None
    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    detail = info.get("message") or info.get("error") or data.get("description") or ""
    return f"{data.get('type', 'error')}: {detail}".strip(": ")
