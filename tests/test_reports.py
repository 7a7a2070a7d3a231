"""What the crawl reports: the rejects file (no credentials, never an empty
reason) and the end-of-crawl summary (numbers that add up)."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import scrapy_crawl
from fpsite import SITE_DIR, FPSite

pytestmark = pytest.mark.reliability

SECRET = "s3cret-pw"


def test_rejects_file_hides_credentials_the_log_hides(tmp_path):
    site_dir = tmp_path / "site"
    shutil.copytree(SITE_DIR, site_dir)
    with FPSite(site_dir=site_dir) as site:
        port = site.httpd.server_address[1]
        routes = json.loads((site_dir / "_routes.json").read_text())
        redirects = {  # the site's redirects name a user and password (read per request, so the port is known)
            "/2021/07/10/to-another-host/": f"http://crawler:{SECRET}@127.0.0.2:{port}/x/",
            "/2021/07/11/to-the-site/": f"http://crawler:{SECRET}@127.0.0.1:{port}/2021/07/11/y/",
        }
        routes.update({path: {"status": 302, "location": target} for path, target in redirects.items()})
        (site_dir / "_routes.json").write_text(json.dumps(routes))
        protected = site.url.replace("http://", "http://operator:url-pa55word@")  # basic auth for the site
        result = scrapy_crawl(tmp_path / "output", f"base_url={protected}",
                              "urls=" + ",".join(site.url + path for path in [*redirects, "/2021/07/12/missing/"]))
    rejects_text = "".join(f.read_text("utf-8") for f in result.output_dir.glob("rejects-*.jsonl"))
    assert SECRET not in result.log and "url-pa55word" not in result.log
    assert SECRET not in rejects_text and "url-pa55word" not in rejects_text
    reasons = {r["url"]: r["reasons"][0] for r in result.rejects}
    # Still useful: the site's own URLs (the basic-auth host is no secret) and where the redirect went.
    assert set(reasons) == {site.url + path for path in [*redirects, "/2021/07/12/missing/"]}
    assert f"off-site URL refused: http://***@127.0.0.2:{port}/x/" in reasons[site.url + "/2021/07/10/to-another-host/"]
    assert "***@127.0.0.1" in reasons[site.url + "/2021/07/11/to-the-site/"]
    assert reasons[site.url + "/2021/07/12/missing/"] == "article page: HTTP 404"


@pytest.mark.parametrize("record, expected", [
    ({"url": "http://a:b-pw@h/x", "reasons": ["refused: http://a:b-pw@h/x (redirected from http://h/)"]},
     {"url": "http://***@h/x", "reasons": ["refused: http://***@h/x (redirected from http://h/)"]}),
    ({"item": {"status": None, "links": [{"href": "https://u:p4ss@cdn/i.jpg"}], "n": 3}},
     {"item": {"status": None, "links": [{"href": "https://***@cdn/i.jpg"}], "n": 3}}),
    ({"reasons": ["ValueError: invalid hostname: crawler:pw@127.0.0.1"]},
     {"reasons": ["ValueError: invalid hostname: ***@127.0.0.1"]}),
    ({"reasons": ["splash said hunter22"], "url": "http://127.0.0.1:8765/x/"},
     {"reasons": ["splash said ***"], "url": "http://127.0.0.1:8765/x/"}),
])
def test_redact_record(record, expected):
    from cable_crawler.redact import redact_record
    assert redact_record(record, ["hunter22"]) == expected


@pytest.mark.parametrize("name, value, priority, secret", [
    ("SPLASH_PASS", "pw-for-splash", "cmdline", True),
    ("HTTPAUTH_USER", "operator", "spider", True),
    ("HTTPAUTH_PASS", "url-pa55word", "spider", True),
    ("HTTPAUTH_DOMAIN", "127.0.0.1", "spider", False),        # the crawled host: masking it hides every URL
    ("HTTPPROXY_AUTH_ENCODING", "latin-1", "cmdline", False),  # a charset
    ("FTP_USER", "anonymous", "default", False),               # Scrapy's public defaults
    ("FTP_PASSWORD", "guest", "default", False),
])
def test_secret_values(name, value, priority, secret):
    from scrapy.settings import Settings

    from cable_crawler.redact import secret_values
    settings = Settings()
    settings.set(name, value, priority=priority)
    assert (value in secret_values(settings, environ={})) is secret
