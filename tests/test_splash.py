"""Rendering through a real Splash 3.5 on 127.0.0.1 (installed and started by
scripts/splash.sh; skipped, with the reason, only where its Debian packages
cannot be installed)."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import scrapy_crawl
from fpsite import SITE_DIR, FPSite, free_port

# Splash comes from ~80 Debian packages: `make test ARGS="-m 'not rendering'"` skips these locally.
pytestmark = pytest.mark.rendering

JS_SITE = Path(__file__).parent / "site_js"
JS_ARTICLE = "/2022/03/01/lead-image-set-by-script/"
FAST = {"CABLE_SPLASH_WAIT": 0.2, "CABLE_RETRY_BACKOFF_BASE": 0.05}


def crawl(tmp_path, site, *args, **settings):
    return scrapy_crawl(tmp_path / "output", f"base_url={site.url}", "mode=full", *args,
                        settings={**FAST, **settings})


def by_path(site, articles) -> dict[str, dict]:
    return {a["url"][len(site.url):]: a for a in articles}


def test_without_rendering_script_content_is_missing(tmp_path):
    with FPSite(site_dir=JS_SITE) as site:
        # source=html: from the index alone (the WP API lists page 2's article: the completeness pass reads it).
        result = crawl(tmp_path, site, "render=none", "source=html")
    articles = by_path(site, result.articles)
    assert set(articles) == {JS_ARTICLE, "/2022/02/20/static-article/"}  # page 2 is linked by script only
    assert articles[JS_ARTICLE]["lead_image"] is None  # its src is set by script
    assert len(articles[JS_ARTICLE]["body"]) == 2  # the third paragraph is written by script


def test_with_splash_the_items_are_complete(tmp_path, splash):
    with FPSite(site_dir=JS_SITE) as site:
        result = crawl(tmp_path, site, "render=splash", SPLASH_URL=splash)
    assert result.returncode == 0, result.log[-3000:]
    articles = by_path(site, result.articles)
    assert set(articles) == {JS_ARTICLE, "/2022/02/20/static-article/", "/2022/02/10/article-on-page-two/"}
    js = articles[JS_ARTICLE]
    assert js["lead_image"] == {
        "url": f"{site.url}/wp-content/uploads/2022/03/vienna-talks-GettyImages-1238562347.jpg",
        "caption": "Diplomats arrive for talks in Vienna on March 1, 2022.",
        "credit": "Joe Klamar/AFP via Getty Images", "dateline": None}
    assert js["body"][-1] == ("A senior State Department official said the remaining gaps could be closed "
                              "within days if Iran chose to.")
    assert len(js["body"]) == 3 and js["dateline"] == "Vienna"
    assert f"render=splash at {splash}" in result.log


def test_the_same_items_through_splash_and_plain_http(tmp_path, splash):
    with FPSite(site_dir=SITE_DIR) as site:
        plain = crawl(tmp_path / "plain", site, "render=none")
        rendered = crawl(tmp_path / "splash", site, "render=splash", SPLASH_URL=splash)
    assert rendered.returncode == 0, rendered.log[-3000:]

    def comparable(articles):
        return {a["url"]: {k: v for k, v in a.items() if k != "crawled_at"} for a in articles}

    assert len(plain.articles) == 7
    assert comparable(rendered.articles) == comparable(plain.articles)
    # A removed article is still a 404 through Splash, not an empty page.
    assert sorted(r["reasons"][0] for r in rendered.rejects) == sorted(r["reasons"][0] for r in plain.rejects)
    assert "article page: HTTP 404" in [r["reasons"][0] for r in rendered.rejects]


def test_splash_down_is_said_once_with_its_url_and_fails_the_run(tmp_path):
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with FPSite(site_dir=JS_SITE) as site:
        result = crawl(tmp_path, site, "render=splash", SPLASH_URL=down, RETRY_TIMES=1)
    assert result.returncode == 1
    assert result.articles == []
    said = [line for line in result.log.splitlines() if "rendering failed:" in line]
    assert len(said) == 1 and f"Splash at {down}: " in said[0] and "Connection" in said[0]
    # The index page, and the articles the API lists (the completeness pass): each with the reason.
    assert {r["reasons"][0].split(": ", 1)[0] for r in result.rejects} == {"index page", "article page"}
    assert all(r["reasons"][0].split(": ", 1)[1].startswith(f"Splash at {down}: ") for r in result.rejects)
    assert "monitor failed: Column index" in result.log


def test_splash_errors_are_reported_with_splash_s_reason(tmp_path, splash):
    with FPSite(site_dir=JS_SITE) as site:
        result = crawl(tmp_path, site, "render=splash", f"urls={site.url}{JS_ARTICLE}", SPLASH_URL=splash,
                       CABLE_SPLASH_WAIT=3, CABLE_SPLASH_TIMEOUT=1, RETRY_TIMES=1)
    assert result.articles == []
    [reject] = result.rejects
    assert reject["url"] == site.url + JS_ARTICLE
    assert reject["reasons"][0].startswith(f"article page: Splash at {splash}: HTTP 504")
    assert "GlobalTimeoutError" in reject["reasons"][0]


class ProtectedSplash(BaseHTTPRequestHandler):
    """Stands in for a Splash behind basic auth (as Splash's Docker setups put a proxy in
    front): checks the credentials, renders nothing, returns the page it was asked for."""

    def do_POST(self):
        expected = "Basic " + base64.b64encode(b"splash-user:splash-s3cret").decode()
        self.server.auth_seen.append(self.headers.get("Authorization"))
        args = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.headers.get("Authorization") != expected:
            return self._reply(401, {"error": 401, "type": "Unauthorized", "description": "bad credentials"})
        path = args["url"].split("/", 3)[3]
        html = (SITE_DIR / path / "index.html").read_text("utf-8").replace("https://foreignpolicy.com", self.server.site)
        self._reply(200, {"html": html, "http_status": 200, "url": args["url"]})

    def _reply(self, status, data):
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("password, articles", [("splash-s3cret", 1), ("wrong-passw0rd", 0)])
def test_protected_splash_gets_credentials_that_never_reach_the_log(tmp_path, password, articles):
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProtectedSplash)
    server.auth_seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with FPSite() as site:
            server.site = site.url
            article = "/2021/05/28/biden-budget-request-state-department-usaid-diplomacy/"
            result = crawl(tmp_path, site, "render=splash", f"urls={site.url}{article}", RETRY_TIMES=0,
                           SPLASH_URL=f"http://127.0.0.1:{server.server_address[1]}",
                           SPLASH_USER="splash-user", SPLASH_PASS=password)
    finally:
        server.shutdown()
        server.server_close()
    assert len(result.articles) == articles
    assert server.auth_seen and all(seen.startswith("Basic ") for seen in server.auth_seen)
    for secret in ("splash-user", password, base64.b64encode(f"splash-user:{password}".encode()).decode()):
        assert secret not in result.log
    if not articles:
        assert "HTTP 401 (Unauthorized: bad credentials)" in result.rejects[0]["reasons"][0]
