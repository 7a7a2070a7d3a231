"""Rendering in a real Chromium through scrapy-playwright (-a render=playwright): Debian's
`chromium` package (scripts/chromium.sh), the loopback sites on 127.0.0.1. Skipped, with
the reason, only where the Debian package cannot be installed."""

from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cable_crawler.crawl.args import parse_args
from cable_crawler.crawl.playwright import only_the_site
from conftest import scrapy_crawl
from fpsite import SITE_DIR, FPSite, free_port

# Chromium comes from Debian packages: `make test ARGS="-m 'not rendering'"` skips these locally.
pytestmark = pytest.mark.rendering

JS_SITE = Path(__file__).parent / "site_js"
JS_ARTICLE = "/2022/03/01/lead-image-set-by-script/"
FAST = {"CABLE_PLAYWRIGHT_WAIT": 0.2, "CABLE_SPLASH_WAIT": 0.2, "CABLE_RETRY_BACKOFF_BASE": 0.05}


def crawl(tmp_path, site, *args, **settings):
    return scrapy_crawl(tmp_path / "output", f"base_url={site.url}", "mode=full", *args,
                        settings={**FAST, **settings})


def by_path(site, articles) -> dict[str, dict]:
    return {a["url"][len(site.url):]: a for a in articles}


def comparable(site, articles) -> dict[str, dict]:
    return {a["url"][len(site.url):]: {k: v for k, v in a.items() if k != "crawled_at"} for a in articles}


class FakeRequest:
    def __init__(self, url, resource_type="document"):
        self.url, self.resource_type = url, resource_type


@pytest.mark.parametrize("url, resource_type, aborted", [
    ("http://127.0.0.1:8000/2022/03/01/a/", "document", False),        # the page
    ("http://127.0.0.1:8000/theme/app.js", "script", False),           # the site's own script
    ("http://127.0.0.1:8000/wp-content/uploads/a.jpg", "image", True),  # image bytes: not needed
    ("http://127.0.0.1:8000/fonts/a.woff2", "font", True),
    ("http://127.0.0.1:8000/video.mp4", "media", True),
    ("http://127.0.0.2:8000/tracker.js", "script", True),              # another host: never contacted
    ("https://www.googletagmanager.com/gtm.js", "script", True),
    ("data:text/javascript,1", "script", False),                       # inline: no host
    ("http://127.0.0.1:9000/other-service.js", "script", True),       # the same host, another port: another site
])
def test_the_browser_loads_only_the_site_and_no_images(url, resource_type, aborted):
    assert only_the_site("http://127.0.0.1:8000")(FakeRequest(url, resource_type)) is aborted


def test_render_argument():
    assert parse_args(render="playwright").render == "playwright"
    assert parse_args(render=" Playwright ").render == "playwright"


def test_with_playwright_the_items_are_complete(tmp_path, chromium):
    with FPSite(site_dir=JS_SITE) as site:
        result = crawl(tmp_path, site, "render=playwright")
    assert result.returncode == 0, result.log[-3000:]
    articles = by_path(site, result.articles)
    # Page 2 of the index is linked by script only: plain HTTP never finds it.
    assert set(articles) == {JS_ARTICLE, "/2022/02/20/static-article/", "/2022/02/10/article-on-page-two/"}
    js = articles[JS_ARTICLE]
    assert js["lead_image"]["url"] == f"{site.url}/wp-content/uploads/2022/03/vienna-talks-GettyImages-1238562347.jpg"
    assert js["body"][-1] == ("A senior State Department official said the remaining gaps could be closed "
                              "within days if Iran chose to.")
    assert f"render=playwright: Chromium at {chromium} (index,article)" in result.log
    assert "'playwright/page_count/closed': 5" in result.log  # every page closed once read


def test_the_same_items_through_playwright_and_plain_http(tmp_path, chromium):
    with FPSite(site_dir=SITE_DIR) as site:
        plain = crawl(tmp_path / "plain", site, "render=none")
        rendered = crawl(tmp_path / "playwright", site, "render=playwright")
    assert rendered.returncode == 0, rendered.log[-3000:]
    assert len(plain.articles) == 7
    assert comparable(site, rendered.articles) == comparable(site, plain.articles)
    # A removed article is still a 404 through the browser, not an empty page.
    assert sorted(r["reasons"][0] for r in rendered.rejects) == sorted(r["reasons"][0] for r in plain.rejects)
    assert "article page: HTTP 404" in [r["reasons"][0] for r in rendered.rejects]


def test_the_same_items_through_playwright_and_splash(tmp_path, chromium, splash):
    with FPSite(site_dir=JS_SITE) as site:
        through_splash = crawl(tmp_path / "splash", site, "render=splash", SPLASH_URL=splash)
        through_playwright = crawl(tmp_path / "playwright", site, "render=playwright")
    assert through_playwright.returncode == 0 and through_splash.returncode == 0
    assert len(through_playwright.articles) == 3
    assert comparable(site, through_playwright.articles) == comparable(site, through_splash.articles)


class ThirdParty(BaseHTTPRequestHandler):
    """Another host (127.0.0.2): a tracker script and pixel the page asks for."""

    def do_GET(self):
        self.server.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/javascript")
        self.end_headers()
        self.wfile.write(b"document.title = 'tracked';")

    def log_message(self, *args):
        pass


def test_no_other_host_is_contacted_and_no_image_is_loaded(tmp_path, chromium):
    other = ThreadingHTTPServer(("127.0.0.2", free_port()), ThirdParty)
    other.seen = []
    threading.Thread(target=other.serve_forever, daemon=True).start()
    third_party = f"http://127.0.0.2:{other.server_address[1]}"
    site_dir = tmp_path / "site"
    shutil.copytree(JS_SITE, site_dir)
    page = site_dir / JS_ARTICLE.strip("/") / "index.html"
    page.write_text(page.read_text("utf-8").replace(
        "</body>", f'<script src="{third_party}/tracker.js"></script><img src="{third_party}/pixel.gif">'
                   f'<iframe src="{third_party}/ad.html"></iframe></body>'), "utf-8")
    try:
        with FPSite(site_dir=site_dir) as site:
            result = crawl(tmp_path, site, "render=playwright", f"urls={site.url}{JS_ARTICLE}")
            requested = list(site.requests)
    finally:
        other.shutdown()
        other.server_close()
    assert result.returncode == 0, result.log[-3000:]
    assert len(result.articles) == 1 and result.articles[0]["lead_image"] is not None
    assert other.seen == []
    assert not [r for r in requested if r.startswith("/wp-content/")]  # the lead image is read, never loaded
    assert "'playwright/request_count/aborted'" in result.log


def test_no_browser_is_one_line_and_exit_1(tmp_path):
    with FPSite(site_dir=JS_SITE) as site:
        result = crawl(tmp_path, site, "render=playwright", CABLE_CHROMIUM_PATH=str(tmp_path / "no-chromium"))
        requested = list(site.requests)
    assert result.returncode == 1
    assert requested == []
    said = [line for line in result.log.splitlines() if "rendering failed:" in line]
    assert said[-1] == (f"scrapy crawl cable: error: rendering failed: render=playwright: "
                        f"CABLE_CHROMIUM_PATH='{tmp_path / 'no-chromium'}' is not a file")
    assert "Traceback" not in result.log


def test_a_browser_that_cannot_start_is_said_once_and_fails_the_run(tmp_path, chromium):
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\necho 'chromium: cannot open display' >&2\nexit 1\n")
    broken.chmod(0o755)
    with FPSite(site_dir=JS_SITE) as site:
        result = crawl(tmp_path, site, "render=playwright", CABLE_CHROMIUM_PATH=str(broken), RETRY_TIMES=0)
    assert result.returncode == 1
    assert result.articles == []
    said = [line for line in result.log.splitlines() if "[cable] ERROR: rendering failed: Playwright:" in line]
    assert len(said) == 1, said
    # The index page, and the articles the API lists (the completeness pass): each with the reason.
    assert {r["reasons"][0].split(": ", 1)[0] for r in result.rejects} == {"index page", "article page"}
    assert all(r["reasons"][0].split(": ", 1)[1] == said[0].split("rendering failed: ")[1] for r in result.rejects)


def test_a_page_that_times_out_is_a_reject_with_the_reason(tmp_path, chromium):
    with FPSite(site_dir=JS_SITE, article_delay=3) as site:
        result = crawl(tmp_path, site, "render=playwright", f"urls={site.url}{JS_ARTICLE}",
                       CABLE_PLAYWRIGHT_TIMEOUT=1, RETRY_TIMES=0)
    assert result.articles == []
    [reject] = result.rejects
    assert reject["url"] == site.url + JS_ARTICLE
    assert reject["reasons"][0].startswith("article page: Playwright: ")
    assert "Timeout 1000ms exceeded" in reject["reasons"][0]


def test_a_browser_killed_mid_crawl_is_started_again(tmp_path, chromium):
    """SIGKILL to the browser once the second article page was served: a page it had open then
    fails with its reason (kept for the next run), and the crawl goes on in a new browser
    (scrapy-playwright's PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER)."""
    import signal
    import subprocess

    articles_seen = []

    with FPSite(site_dir=SITE_DIR, article_delay=0.5) as site:
        def watch():
            while not site.stop_watching.is_set():
                articles = [r for r in site.requests if r.startswith("/20")]
                if len(articles) >= 2:
                    articles_seen.extend(articles)
                    # Debian's /usr/bin/chromium is a wrapper: the browser Playwright drives has a debugging pipe.
                    subprocess.run(["pkill", f"-{signal.SIGKILL.value}", "-f", "chromium.*--remote-debugging-pipe"],
                                   check=False)
                    return
                site.stop_watching.wait(0.05)

        site.stop_watching = threading.Event()
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        result = crawl(tmp_path, site, "render=playwright", "source=html", CONCURRENT_REQUESTS=1, RETRY_TIMES=0)
        site.stop_watching.set()
        plain = crawl(tmp_path / "plain", site, "render=none", "source=html")
    assert articles_seen, "the crawl never reached a second article"
    assert "'playwright/browser_count': 2" in result.log, result.log[-3000:]
    browser_lost = [r for r in result.rejects if "Playwright: " in r["reasons"][0]]
    # The page the browser had open, if the kill caught one (one page at a time), with its reason.
    assert len(browser_lost) <= 1, result.rejects
    # Every page the plain crawl read or rejected is in the output or the rejects file.
    attempted = {a["url"] for a in plain.articles} | {r["url"] for r in plain.rejects}
    assert {a["url"] for a in result.articles} | {r["url"] for r in result.rejects} == attempted
    assert len(result.articles) >= len(plain.articles) - 1
