"""Reliability: faults, hostile input and the site boundary, against real
servers on 127.0.0.1 (`pytest -m reliability` runs this section alone)."""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from conftest import REPO, scrapy_crawl
from faultsite import FAULTS, FaultySite
from fpsite import SITE_DIR, FPSite, grow_site

pytestmark = pytest.mark.reliability

SCHEMA = json.loads((REPO / "schema" / "article.schema.json").read_text("utf-8"))
NOT_ARTICLES = {"/2016/03/01/removed-post-on-iran-talks/", "/2015/01/15/state-department-briefing/"}
FAST_RETRIES = {"RETRY_TIMES": 8, "CABLE_RETRY_BACKOFF_BASE": 0.05, "CABLE_RETRY_BACKOFF_MAX": 1.5,
                "DOWNLOAD_TIMEOUT": 1, "REDIRECT_MAX_TIMES": 3}


def assert_clean_output(result) -> list[dict]:
    """Every output line parses, validates, and no article appears twice."""
    validator = Draft202012Validator(SCHEMA)
    records = []
    for path in result.output_dir.glob("the-cable-*.jsonl"):
        for line in path.read_text("utf-8").splitlines():
            record = json.loads(line)
            assert list(validator.iter_errors(record)) == []
            records.append(record)
    assert max(Counter(r["id"] for r in records).values(), default=1) == 1
    assert max(Counter(r["url"] for r in records).values(), default=1) == 1
    assert not list(result.output_dir.glob("*.part"))
    return records


def article_paths(paths) -> set[str]:
    return {p for p in paths if p[:3] in ("/19", "/20")} - NOT_ARTICLES


@pytest.mark.parametrize("seed", [1, 2])
def test_crawl_through_20_percent_faults_captures_every_article_the_site_served(tmp_path, seed, capsys):
    grow_site(tmp_path / "site", articles=60)  # 3 index pages, 60 distinct articles
    with FaultySite(fault_rate=0.2, seed=seed, slow_seconds=1.5, site_dir=tmp_path / "site") as site:
        result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", "mode=full", settings=FAST_RETRIES)
        log = site.fault_log
    records = assert_clean_output(result)
    captured = {r["url"][len(site.url):] for r in records}
    served = article_paths(path for path, count in log["served"].items() if count)
    assert served <= captured  # every article the site eventually served whole is in the output
    assert captured <= served  # and nothing else
    rejected = {r["url"][len(site.url):]: r["reasons"] for r in result.rejects}
    for path in article_paths(log["attempts"]) - captured:  # never served: reported, with the reason
        assert path in rejected, (path, log["faults"][path])
    assert sum(log["injected"].values()) > 0
    with capsys.disabled():
        print(f"\nfaults seed={seed}: requests={sum(log['attempts'].values())} "
              f"injected={dict(sorted(log['injected'].items()))} articles captured={len(captured)}"
              f"/{len(article_paths(log['attempts']))} duplicates=0 corrupt lines=0 "
              f"rejects={dict(Counter(reason.split(' (')[0] for reasons in rejected.values() for reason in reasons))}")


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_on_every_attempt_is_given_up_and_reported(tmp_path, fault):
    article = "/2021/05/28/biden-budget-request-state-department-usaid-diplomacy/"
    settings = {**FAST_RETRIES, "RETRY_TIMES": 2}
    with FaultySite(fault_rate=0.0, always={article: fault}, slow_seconds=1.5) as site:
        result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", f"urls={site.url}{article}",
                              settings=settings)
        attempts = site.fault_log["attempts"][article]
    assert_clean_output(result)
    assert result.articles == []
    [reject] = result.rejects
    assert reject["url"] == site.url + article
    expected = {
        "500": "HTTP 500 (gave up after 2 retries)", "503": "HTTP 503 (gave up after 2 retries)",
        "503-retry-after": "HTTP 503 (gave up after 2 retries)", "429": "HTTP 429 (gave up after 2 retries)",
        "slow": "TimeoutError", "reset": "(gave up after 2 retries)", "truncated": "(gave up after 2 retries)",
        "empty": "empty response", "redirect-loop": "max redirections reached",
    }[fault]
    assert expected in reject["reasons"][0], reject["reasons"]
    assert attempts >= 3  # retried (a redirect loop: followed until REDIRECT_MAX_TIMES)
    assert "Traceback" not in result.log


def test_retry_after_and_backoff_are_honoured(tmp_path):
    article = "/2021/05/28/biden-budget-request-state-department-usaid-diplomacy/"
    with FaultySite(fault_rate=0.0, always={article: "429"}) as site:
        result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", f"urls={site.url}{article}",
                              settings={"RETRY_TIMES": 2, "CABLE_RETRY_BACKOFF_BASE": 0.01,
                                        "CABLE_RETRY_BACKOFF_MAX": 5})
    # Two retries, each after the server's Retry-After: 1 s (not the 0.01 s backoff).
    waited = float(next(line.split(": ")[1].rstrip(",") for line in result.log.splitlines()
                        if "'cable/retry_wait_seconds'" in line))
    assert 2.0 <= waited <= 3.0


# ---------------------------------------------------------------------------------- hostile input

ARTICLE_A = (SITE_DIR / "2021/06/02/biden-putin-geneva-summit-expectations-arms-control-cyber/index.html").read_text("utf-8")


def article_page(headline: str, paragraphs: list[str], extra_body: str = "", post_id: int = 0) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    post_id = post_id or 7000000 + zlib.crc32(headline.encode()) % 100000
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
            f"<div id='main'><div class='post-content' data-post-id='{post_id}'><article class='article'>"
            f"<div class='feature-header-text'><span class='hed-heading'><h1 class='hed'>{headline}</h1></span>"
            f"<div class='meta-data'><address class='author-list'><span class='pre'>By</span> "
            f"<a href='/author/robbie-gramer/' rel='author' class='author'>Robbie Gramer</a></address>"
            f"<time datetime='2021-06-02' class='date-time'>June 2</time></div></div>"
            f"<div class='post-content-main'>{body}{extra_body}</div></article></div></div></body></html>")


def gzip_bomb(size: int) -> bytes:
    return gzip.compress(b"<p>" + b"A" * size + b"</p>", compresslevel=9)


HOSTILE = {
    "/2021/06/10/unclosed-tags/": (200, "text/html; charset=utf-8",
        article_page("Unclosed <em>Tags", ["First <b>paragraph", "<p>Second <i>paragraph"]).replace(
            "</article></div></div></body></html>", "").encode()),
    "/2021/06/11/cp1252-served-as-utf8/": (200, "text/html; charset=utf-8",
        article_page("Windows Text", ["He said \u201cyes\u201d \u2014 it\u2019s done."]).encode("cp1252")),
    "/2021/06/12/utf8-served-as-latin1/": (200, "text/html; charset=ISO-8859-1",
        article_page("Encarnaci\u00f3n Writes", ["Caf\u00e9 talks in S\u00e3o Paulo \u2014 it\u2019s on."]).replace(
            "<meta charset='utf-8'>", "").encode("utf-8")),
    "/2021/06/13/mojibake/": (200, "text/html; charset=utf-8",
        article_page("Double Encoded", ["It\u00e2\u20ac\u2122s the Caf\u00c3\u00a9 again."]).encode("utf-8")),
    "/2021/06/14/empty-body/": (200, "text/html; charset=utf-8", b""),
    "/2021/06/15/a-pdf/": (200, "application/pdf", b"%PDF-1.4 not a page"),
    "/2021/06/16/huge-page/": (200, "text/html; charset=utf-8",
        article_page("Huge", ["word " * 400_000]).encode()),
    "/2021/06/17/gzip-bomb/": (200, "text/html; charset=utf-8", "gzip-bomb"),
    "/2021/06/18/script-injected/": (200, "text/html; charset=utf-8",
        article_page("Scripted", ["Real paragraph."],
                     "<script>document.write('<p>INJECTED BY SCRIPT</p>')</script>"
                     "<noscript><p>INJECTED NOSCRIPT</p></noscript><template><p>INJECTED TEMPLATE</p></template>"
                     "<p style='height:0;opacity:0;'>INJECTED HIDDEN</p>").encode()),
    "/2021/06/19/html-in-json-ld/": (200, "text/html; charset=utf-8", (
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body class='postid-7000009'>"
        "<div class='post-content-main'><p>Body text from the page.</p></div>"
        "<script type='application/ld+json'>{\"@type\": \"NewsArticle\", "
        "\"headline\": \"A <em>hostile</em> <script>alert(1)<\\/script>headline\", "
        "\"datePublished\": \"2021-06-19T10:00:00+00:00\", \"author\": {\"name\": \"<b>Amy</b> Mackinnon\"}}"
        "</script></body></html>").encode()),
}


class HostileHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0].split("#")[0]
        if path == "/robots.txt":
            return self._send(404, "text/plain", b"")
        if path == "/channel/the-cable/":
            return self._send(200, "text/html; charset=utf-8", self.server.index)
        status, content_type, body = HOSTILE.get(path, (404, "text/html", b"<html>gone</html>"))
        if body == "gzip-bomb":
            return self._send(200, content_type, gzip_bomb(60 * 1024 * 1024), {"Content-Encoding": "gzip"})
        return self._send(status, content_type, body)

    def _send(self, status, content_type, body, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def hostile_site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileHandler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    entries = "".join(
        f"<div class='excerpt-content--list' data-post-id='{n}'><a class='hed-heading -excerpt' "
        f"href='{base}{path}'><h3 class='hed'>Entry {n}</h3></a></div>" for n, path in enumerate(HOSTILE))
    server.index = f"<html><body><div class='blog-list-layout'>{entries}</div></body></html>".encode()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = base
    yield server
    server.shutdown()
    server.server_close()


def test_hostile_pages_give_valid_items_or_reasoned_rejects(hostile_site, tmp_path):
    result = scrapy_crawl(tmp_path / "output", f"base_url={hostile_site.url}", "mode=full",
                          settings={**FAST_RETRIES, "DOWNLOAD_MAXSIZE": 1024 * 1024, "DOWNLOAD_WARNSIZE": 0,
                                    # hostile pages, each missing something on purpose: no coverage rules
                                    "SPIDERMON_FIELD_COVERAGE_RULES": "{}"})
    records = {r["url"][len(hostile_site.url):]: r for r in assert_clean_output(result)}
    rejects = {r["url"][len(hostile_site.url):]: r["reasons"] for r in result.rejects}
    assert set(records) | set(rejects) == set(HOSTILE)  # nothing silently missing
    assert not set(records) & set(rejects)
    assert "Spider error" not in result.log and "Traceback" not in result.log

    assert records["/2021/06/10/unclosed-tags/"]["body"] == ["First paragraph", "Second paragraph"]
    assert records["/2021/06/11/cp1252-served-as-utf8/"]["body"] == ["He said \u201cyes\u201d \u2014 it\u2019s done."]
    assert records["/2021/06/12/utf8-served-as-latin1/"]["headline"] == "Encarnaci\u00f3n Writes"
    assert records["/2021/06/12/utf8-served-as-latin1/"]["body"] == [
        "Caf\u00e9 talks in S\u00e3o Paulo \u2014 it\u2019s on."]
    assert records["/2021/06/13/mojibake/"]["body"] == ["It\u2019s the Caf\u00e9 again."]
    assert records["/2021/06/18/script-injected/"]["body"] == ["Real paragraph."]
    hostile_ld = records["/2021/06/19/html-in-json-ld/"]
    assert hostile_ld["headline"] == "A hostile alert(1)headline" or "<" not in hostile_ld["headline"]
    assert [a["name"] for a in hostile_ld["authors"]] == ["Amy Mackinnon"]

    assert rejects["/2021/06/14/empty-body/"] == ["article page: empty response"]
    assert rejects["/2021/06/15/a-pdf/"] == ["article page: not an HTML page (Content-Type: application/pdf)"]
    assert "maxsize" in rejects["/2021/06/16/huge-page/"][0].lower() or "max size" in rejects["/2021/06/16/huge-page/"][0].lower()
    assert "DOWNLOAD_MAXSIZE" in rejects["/2021/06/17/gzip-bomb/"][0] or "max" in rejects["/2021/06/17/gzip-bomb/"][0].lower()


def test_an_index_page_with_10000_links_is_capped_and_reported(tmp_path):
    class BigIndex(HostileHandler):
        pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), BigIndex)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    entries = "".join(
        f"<div class='excerpt-content--list'><a class='hed-heading -excerpt' href='{base}/2021/06/10/unclosed-tags/"
        f"#{n}'><h3 class='hed'>Entry {n}</h3></a></div>" for n in range(10_000))
    server.index = f"<html><body><div class='blog-list-layout'>{entries}</div></body></html>".encode()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = scrapy_crawl(tmp_path / "output", f"base_url={base}", "mode=full")
    finally:
        server.shutdown()
        server.server_close()
    assert len(result.articles) == 1  # 10,000 spellings of one article: one request, one item
    [reject] = result.rejects
    assert reject["reasons"] == ["index page: 10000 entries, more than CABLE_MAX_INDEX_ENTRIES=200; "
                                 "only the first 200 followed"]


# ---------------------------------------------------------------------------------- the site boundary


class Recorder(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_redirects_to_other_hosts_and_ports_are_never_followed(tmp_path):
    other = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    other.hits = []
    threading.Thread(target=other.serve_forever, daemon=True).start()
    other_url = f"http://127.0.0.1:{other.server_address[1]}"
    site_dir = tmp_path / "site"
    import shutil
    shutil.copytree(SITE_DIR, site_dir)
    routes = json.loads((site_dir / "_routes.json").read_text())
    targets = {
        "/2021/07/01/to-another-port/": f"{other_url}/2021/07/01/stolen/",
        "/2021/07/02/to-localhost-name/": f"http://localhost:{other.server_address[1]}/x/",
        "/2021/07/03/to-another-loopback/": f"http://127.0.0.2:{other.server_address[1]}/x/",
    }
    for path, target in targets.items():
        routes[path] = {"status": 302, "location": target}
    (site_dir / "_routes.json").write_text(json.dumps(routes))
    try:
        with FPSite(site_dir=site_dir) as site:
                    result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}",
                                  "urls=" + ",".join(site.url + p for p in targets))
    finally:
        other.shutdown()
        other.server_close()
    assert other.hits == []
    rejects = {r["url"][len(site.url):]: r["reasons"][0] for r in result.rejects}
    assert set(rejects) == set(targets)
    for path, target in targets.items():
        assert "off-site URL refused" in rejects[path] and target.split("/")[2] in rejects[path]


def test_credentials_never_reach_the_log(site, tmp_path):
    protected = site.url.replace("http://", "http://crawler:url-pa55word@")  # a site behind basic auth
    result = scrapy_crawl(tmp_path / "output", f"base_url={protected}", "max_pages=1",
                          settings={"SPLASH_USER": "splash-user-name", "SPLASH_PASS": "splash-pa55word",
                                    "HTTPPROXY_AUTH_ENCODING": "latin-1"})
    assert "url-pa55word" not in result.log
    assert "splash-pa55word" not in result.log and "splash-user-name" not in result.log
    assert result.returncode == 0 and len(result.articles) == 3  # credentials go as basic auth, not in URLs


@pytest.mark.parametrize("text, secrets, expected", [
    ("GET http://user:pa55@host:8050/render.html", [], "GET http://***@host:8050/render.html"),
    ("invalid hostname: crawler:pa55@127.0.0.1", [], "invalid hostname: ***@127.0.0.1"),
    ("{'SPLASH_PASS': 'hunter22'}", ["hunter22"], "{'SPLASH_PASS': '***'}"),
    ("headers {b'Authorization': [b'Basic YWxpY2U6aHVudGVyMjI=']}", [],
     "headers {b'Authorization': [b'***']}"),
    ("Proxy-Authorization: Basic YWxpY2U6aHVudGVyMjI=", [], "Proxy-Authorization: ***"),
    ("mail editor@foreignpolicy.com at 10:30", [], "mail editor@foreignpolicy.com at 10:30"),
    ("plain text", ["ab"], "plain text"),
    # Long texts without spaces (a rejected item's 3 MB paragraph, a data: URI): scanned once,
    # not once per position (that took hours); a credential after one is still masked.
    ("\u0081" * 200_000 + " user:pa55@host", [], "\u0081" * 200_000 + " ***@host"),
    ("a" * 200_000 + " http://user:pa55@host/", [], "a" * 200_000 + " http://***@host/"),
    ("\u0081" * 200_000 + "@host", [], "\u0081" * 200_000 + "@host"),
])
def test_redact(text, secrets, expected):
    from cable_crawler.crawl.redact import redact, secret_values
    assert redact(text, secrets=[s for s in secrets if len(s) >= 3]) == expected
    assert secret_values({"SPLASH_PASS": "hunter22", "SPLASH_URL": "http://x", "MY_API_KEY": "k3y-value"},
                         environ={"https_proxy": "http://bob:proxy-pw@proxy:3128"}) == [
        "hunter22", "k3y-value", "bob", "proxy-pw"]


def test_secrets_filter_redacts_messages_and_tracebacks():
    import logging

    from cable_crawler.crawl.redact import SecretsFilter
    try:
        raise ValueError("cannot reach http://alice:hunter22@splash:8050")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "login %s failed for %s",
                                   ("alice", "http://alice:hunter22@splash:8050"), exc_info=True)
        import sys
        record.exc_info = sys.exc_info()
    assert SecretsFilter(["hunter22"]).filter(record) is True
    assert "hunter22" not in record.getMessage() and "hunter22" not in record.exc_text
    assert "***@splash:8050" in record.getMessage()


@pytest.mark.parametrize("setting, value, message", [
    ("CABLE_OUTPUT_DIR", "{tmp}/a-file/output", "CABLE_OUTPUT_DIR="),
    ("CABLE_STATE_DIR", "{tmp}/a-file", "CABLE_STATE_DIR="),
    ("CABLE_JSONL_FILE", "../escaped-{{stamp}}.jsonl", "must be a plain file name inside CABLE_OUTPUT_DIR"),
    ("CABLE_REJECTS_FILE", "{{slug}}.jsonl", "only {stamp} can be used"),
])
def test_bad_settings_fail_fast_with_one_line(site, tmp_path, setting, value, message):
    (tmp_path / "a-file").write_text("not a directory")
    result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}",
                          settings={setting: value.format(tmp=tmp_path)})
    assert result.returncode == 2
    errors = [line for line in result.log.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.log
    assert not list(Path(tmp_path).glob("**/*.jsonl"))
