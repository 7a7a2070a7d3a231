"""What the crawl reports: the rejects file (no credentials, never an empty
reason) and the end-of-crawl summary (numbers that add up)."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from scrapy.exceptions import (DownloadCancelledError, DownloadFailedError, DownloadTimeoutError,
                               ResponseDataLossError)
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed

from cable_crawler.spiders.cable import download_error_reason
from pagesite import PageSite
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
    from cable_crawler.crawl.redact import redact_record
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

    from cable_crawler.crawl.redact import secret_values
    settings = Settings()
    settings.set(name, value, priority=priority)
    assert (value in secret_values(settings, environ={})) is secret


class BrokenDownloads(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        if self.path == "/robots.txt":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/2021/01/01/no-length-too-big/":  # no Content-Length: the limit is hit mid-body
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(40):
                    self.wfile.write(b"<p>" + b"x" * 65536 + b"</p>")
        elif self.path == "/2021/01/02/truncated/":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"<p>short")
        elif self.path == "/2021/01/03/reset/":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def log_message(self, *args):
        pass


def test_every_failed_download_has_a_reason_that_says_what_happened(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), BrokenDownloads)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    paths = ["/2021/01/01/no-length-too-big/", "/2021/01/02/truncated/", "/2021/01/03/reset/"]
    try:
        result = scrapy_crawl(tmp_path / "output", f"base_url={base}", "urls=" + ",".join(base + p for p in paths),
                              settings={"DOWNLOAD_MAXSIZE": 100_000, "DOWNLOAD_WARNSIZE": 0, "RETRY_TIMES": 0})
    finally:
        server.shutdown()
        server.server_close()
    reasons = {r["url"][len(base):]: r["reasons"] for r in result.rejects}
    assert reasons == {
        "/2021/01/01/no-length-too-big/": ["article page: DownloadCancelledError: response larger than "
                                           "DOWNLOAD_MAXSIZE (100000 bytes), cancelled while it arrived"],
        "/2021/01/02/truncated/": ["article page: ResponseDataLossError: the connection closed before the whole "
                                   "body arrived (shorter than its Content-Length)"],
        "/2021/01/03/reset/": ["article page: DownloadFailedError: ConnectionLost: Connection to the other side "
                               "was lost in a non-clean fashion."],
    }


class Unexplained(Exception):
    pass


def _failed_download() -> DownloadFailedError:
    error = DownloadFailedError("[<twisted.python.failure.Failure ...>]")
    error.__cause__ = ResponseFailed([Failure(ConnectionLost())])
    return error


@pytest.mark.parametrize("error, maxsize, stopping, expected", [
    (DownloadCancelledError(), 100_000, False,
     "DownloadCancelledError: response larger than DOWNLOAD_MAXSIZE (100000 bytes), cancelled while it arrived"),
    (DownloadCancelledError(), 100_000, True, "DownloadCancelledError: cancelled because the crawl was stopping"),
    (DownloadCancelledError(), 0, False,
     "DownloadCancelledError: no message (Indicates that a request download was cancelled.)"),
    (DownloadCancelledError("Cancelling download of u: expected response size (9) larger than download max size (5)."),
     5, False, "DownloadCancelledError: Cancelling download of u: expected response size (9) larger than download "
               "max size (5)."),
    (ResponseDataLossError(), 0, False, "ResponseDataLossError: the connection closed before the whole body arrived "
                                        "(shorter than its Content-Length)"),
    (_failed_download(), 0, False, "DownloadFailedError: ConnectionLost: Connection to the other side was lost in a "
                                   "non-clean fashion."),
    (DownloadTimeoutError("Getting u took longer than 1.0 seconds."), 0, False,
     "DownloadTimeoutError: Getting u took longer than 1.0 seconds."),
    (Unexplained(), 0, False, "Unexplained: no message"),
])
def test_download_error_reason(error, maxsize, stopping, expected):
    assert download_error_reason(error, maxsize, stopping) == expected


@pytest.mark.parametrize("rejects, reasons, expected", [
    (0, {}, ["  rejects: 0"]),
    (2, {"article_page_http_404": 1, "empty_body": 1},
     ["  rejects: 2 -> rejects.jsonl", "    1 x article_page_http_404", "    1 x empty_body"]),
    (8, {"empty_body": 5, "missing_headline": 3, "article_page_http_404": 3},
     ["  rejects: 8, with 11 reasons (one reject can have several) -> rejects.jsonl",
      "    3 x article_page_http_404", "    5 x empty_body", "    3 x missing_headline"]),
])
def test_summary_says_when_reasons_outnumber_rejects(rejects, reasons, expected):
    from cable_crawler.operations.summary import summary_lines
    stats = {"cable/rejects": rejects, **{f"cable/rejects/{name}": n for name, n in reasons.items()}}
    if rejects:
        stats["cable/rejects_file"] = "rejects.jsonl"
    lines = summary_lines(stats, "finished")
    start = next(i for i, line in enumerate(lines) if line.startswith("  rejects:"))
    assert lines[start:start + len(expected)] == expected
    assert not lines[start + len(expected)].startswith("    ")


# An article page with a post id and a date but no headline and no text: two reasons.
HOLLOW_ARTICLE = ("<html><head><meta charset='utf-8'></head><body class='postid-7001'><article>"
                  "<time datetime='2021-06-02T10:00:00+00:00'>June 2</time></article></body></html>")


def test_summary_of_a_crawl_whose_reject_has_two_reasons(tmp_path):
    with PageSite({"/2021/06/02/hollow/": HOLLOW_ARTICLE}) as site:
        base = site.url
        result = scrapy_crawl(tmp_path / "output", f"base_url={base}", f"urls={base}/2021/06/02/hollow/")
    [reject] = result.rejects
    assert len(reject["reasons"]) >= 2, reject
    summary = [line.split("INFO: ", 1)[1] for line in result.log.splitlines() if "[cable_crawler.operations.summary]" in line]
    start = next(i for i, line in enumerate(summary) if line.startswith("  rejects:"))
    n = len(reject["reasons"])
    assert summary[start].startswith(f"  rejects: 1, with {n} reasons (one reject can have several) -> ")
    counts = [int(line.split(" x ")[0]) for line in summary[start + 1:] if " x " in line]
    assert sum(counts) == n
