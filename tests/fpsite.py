"""The offline FP site: serves tests/site/ on 127.0.0.1 the way foreignpolicy.com
would (paths, ?results-page=N listings, redirects, 404s, robots.txt).

Used by the tests (started in-process on a free port) and by `make demo`:
    python tests/fpsite.py --port 8765
Absolute https://foreignpolicy.com links in the pages are rewritten to the
server's own address, so crawls never leave 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

SITE_DIR = Path(__file__).resolve().parent / "site"
# Hosts whose links the pages carry; all of them are this server.
SITE_ORIGINS = ("https://foreignpolicy.com", "http://foreignpolicy.com",
                "https://www.foreignpolicy.com", "http://thecable.foreignpolicy.com")


ARTICLE_A = "2021/06/02/biden-putin-geneva-summit-expectations-arms-control-cyber"


class LoopbackHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with a web server's listen backlog. Python's default of 5 pending
    connections overflows when a crawl opens its 8 connections while this server's thread waits
    for the CPU (HTTP/1.0: a connection per request); Linux then drops the SYN and the client
    sends it again after 1 s. That second cost a crawl (and `make bench`'s figures) 0.2-0.9 s at
    random, a site such as foreignpolicy.com does not put on it (nginx listens with 511)."""

    request_queue_size = 511


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for a server a test or a benchmark starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def grow_site(root: Path, articles: int, per_page: int = 20) -> None:
    """The fixture site plus `articles` distinct copies of article A, listed on
    the column index `per_page` at a time (so the crawl has real work to do)."""
    shutil.copytree(SITE_DIR, root, dirs_exist_ok=True)
    write_copies(root, range(articles))
    write_listing(root, range(articles), per_page)


def write_copies(root: Path, numbers) -> None:
    """The article pages of grow_site's copies `numbers` (not listed: see write_listing)."""
    template = (SITE_DIR / ARTICLE_A / "index.html").read_text("utf-8")
    for n in numbers:
        slug = copy_slug(n)
        page = (template.replace(ARTICLE_A, slug).replace("1046321", str(2000000 + n))
                .replace("<p>WASHINGTON", f"<p>Benchmark copy number {n}.</p><p>WASHINGTON", 1))
        (root / slug).mkdir(parents=True, exist_ok=True)
        (root / slug / "index.html").write_text(page, "utf-8")


def copy_slug(n: int) -> str:
    """The path (no slashes around it) of grow_site's article copy number n."""
    return f"2021/06/02/bench-copy-{n:05d}"


def write_listing(root: Path, numbers, per_page: int = 20) -> None:
    """The column index of a grown site: the copies `numbers`, in that order, `per_page` a page.
    Each page file is replaced whole (os.replace), so a server reading it meanwhile sees the
    old page or the new one: tests change the listing while a crawl reads it."""
    entries = [f'<div class="excerpt-content--list content-block" data-post-id="{2000000 + n}">'
               f'<a class="hed-heading -excerpt" href="https://foreignpolicy.com/{copy_slug(n)}/">'
               f'<h3 class="hed">Copy {n}</h3></a><time datetime="2021-06-02">June 2</time></div>'
               for n in numbers]
    pages = [entries[i:i + per_page] for i in range(0, len(entries), per_page)] or [[]]
    index_dir = root / "channel" / "the-cable"
    for number, chunk in enumerate(pages, start=1):
        next_link = (f'<a class="next page-numbers" href="https://foreignpolicy.com/channel/the-cable/'
                     f'?results-page={number + 1}">Next</a>' if number < len(pages) else "")
        html = f'<html><body><div class="blog-list-layout">{"".join(chunk)}</div>{next_link}</body></html>'
        name = "index.html" if number == 1 else f"page-{number}.html"
        part = index_dir / f"_{name}.part"
        part.write_text(html, "utf-8")
        os.replace(part, index_dir / name)
    for stale in index_dir.glob("page-*.html"):
        if int(stale.stem.split("-")[1]) > len(pages):
            stale.unlink()


EASTERN = ZoneInfo("America/New_York")
CABLE_TERM_ID = 5271  # the replica's category id of The Cable


def _gmt(wall: str | None) -> str | None:
    """FP's JSON-LD labels US Eastern wall time '+00:00': the true UTC, as WordPress's *_gmt."""
    if not wall:
        return None
    moment = datetime.fromisoformat(wall).replace(tzinfo=EASTERN)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


class FPSiteHandler(BaseHTTPRequestHandler):
    server_version = "FPFixtureSite/1.0"
    site_dir: Path = SITE_DIR
    article_delay: float = 0.0  # seconds before answering an article page (crash tests)
    path_delays: dict = {}      # path -> seconds more before answering it (an order a test needs)
    api_fault: int | str | None = None  # WP REST replica: an HTTP status, "malformed" or "no-term"
    api_authors: dict = {}               # post id -> author names the replica lists instead
    api_totals: bool = True              # False: no X-WP-Total(Pages) headers (a proxy that drops them)

    def _wp_posts(self) -> list[dict]:
        """The column's posts as WordPress's REST API shows them, built from the fixture site:
        the index entries (id = data-post-id) whose article page exists, newest first."""
        base, posts, seen = self._base(), [], set()
        routes = self._routes()
        pages = sorted((self.site_dir / "channel" / "the-cable").glob("*.html"),
                       key=lambda f: 1 if f.name == "index.html" else int(re.sub(r"\D", "", f.stem) or 0))
        for index in pages:
            html = index.read_text("utf-8", "replace")
            for post_id, href in re.findall(r'data-post-id="(\d+)".*?href="([^"]+)"', html, re.S):
                path = urlsplit(href).path
                route = routes.get(path)
                if route and "location" in route:
                    path = urlsplit(route["location"]).path
                file = self._file_for(path, {})
                if int(post_id) in seen or file is None:
                    continue
                seen.add(int(post_id))
                page = file.read_text("utf-8", "replace")
                published = re.search(r'"datePublished":"([^"+]+)', page)
                modified = re.search(r'"dateModified":"([^"+]+)', page)
                author = re.search(r'<meta name="author" content="([^"]*)"', page)
                title = re.search(r'<meta property="og:title" content="([^"]*)"', page)
                names = self.api_authors.get(int(post_id)) or [
                    n.strip() for n in (author.group(1) if author else "").split(",") if n.strip()]
                date = published.group(1) if published else None
                posts.append({
                    "id": int(post_id), "date": date, "date_gmt": _gmt(date),
                    "modified": modified.group(1) if modified else date,
                    "modified_gmt": _gmt(modified.group(1) if modified else date),
                    "slug": path.strip("/").rsplit("/", 1)[-1], "status": "publish", "type": "post",
                    "link": base + path, "title": {"rendered": title.group(1).strip() if title else ""},
                    "categories": [CABLE_TERM_ID],
                    "_links": {"self": [{"href": f"{base}/wp-json/wp/v2/posts/{post_id}"}]},
                    "_embedded": {"author": [{"id": n + 1, "name": name} for n, name in enumerate(names)]},
                })
        return sorted(posts, key=lambda p: p["date_gmt"] or "", reverse=True)

    def _wp_api(self, path: str, query: dict):
        """A WordPress REST API replica (categories by slug, posts by category, paged)."""
        def send_json(status, data, headers=()):
            body = data if isinstance(data, bytes) else json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        if self.api_fault == "no-term" and path == "/wp-json/wp/v2/categories":
            return send_json(200, [])  # the channel is not a category on this site
        if self.api_fault == "malformed":
            return send_json(200, b"<html>not json")
        if isinstance(self.api_fault, int):
            code = {401: "rest_not_logged_in", 403: "rest_forbidden", 404: "rest_no_route"}.get(self.api_fault, "error")
            return send_json(self.api_fault, {"code": code, "message": "Sorry.", "data": {"status": self.api_fault}})
        first = lambda name, default: (query.get(name) or [default])[0]
        if path == "/wp-json/wp/v2/categories":
            terms = [{"id": CABLE_TERM_ID, "count": len(self._wp_posts()), "name": "The Cable", "slug": "the-cable",
                      "taxonomy": "category", "link": self._base() + "/channel/the-cable/", "parent": 0}]
            return send_json(200, [t for t in terms if first("slug", t["slug"]) == t["slug"]])
        if path != "/wp-json/wp/v2/posts":
            return send_json(404, {"code": "rest_no_route", "message": "No route was found matching the URL and"
                                   " request method.", "data": {"status": 404}})
        try:
            page, per_page = int(first("page", "1")), int(first("per_page", "10"))
        except ValueError:
            page, per_page = 0, 0
        if page < 1 or not 1 <= per_page <= 100:
            return send_json(400, {"code": "rest_invalid_param", "message": "Invalid parameter(s): page",
                                   "data": {"status": 400}})
        posts = self._wp_posts()
        if first("categories", str(CABLE_TERM_ID)) != str(CABLE_TERM_ID):
            posts = []
        total_pages = -(-len(posts) // per_page)
        headers = (("X-WP-Total", str(len(posts))), ("X-WP-TotalPages", str(total_pages))) if self.api_totals else ()
        if page > max(total_pages, 1):
            return send_json(400, {"code": "rest_post_invalid_page_number", "message": "The page number requested"
                                   " is larger than the number of pages available.", "data": {"status": 400}})
        chunk = posts[(page - 1) * per_page:page * per_page]
        if "_embed" not in query:
            chunk = [{k: v for k, v in p.items() if k != "_embedded"} for p in chunk]
        return send_json(200, chunk, headers)

    def log_message(self, format, *args):  # keep test output quiet
        self.server.request_log.append(self.path)

    def do_GET(self):
        parts = urlsplit(self.path)
        path = parts.path
        if path.startswith("/wp-json/"):
            return self._wp_api(path.rstrip("/"), parse_qs(parts.query, keep_blank_values=True))
        routes = self._routes()
        if path in routes:
            route = routes[path]
            if "location" in route:
                self.send_response(route["status"])
                location = route["location"]
                self.send_header("Location", location if "://" in location else self._base() + location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            return self._send(route["status"], self._error_page(route["status"]))
        if self.article_delay and re.match(r"^/(?:\d{4}|posts)/", path):
            time.sleep(self.article_delay)
        time.sleep(self.path_delays.get(path, 0))
        file = self._file_for(path, parse_qs(parts.query))
        if file is None:
            return self._send(404, self._error_page(404))
        body = file.read_bytes()
        if file.suffix == ".html":
            body = self._rewrite(body)
            return self._send(200, body)
        return self._send(200, body, content_type="text/plain; charset=utf-8")

    def _routes(self) -> dict:
        routes_file = self.site_dir / "_routes.json"
        return json.loads(routes_file.read_text("utf-8")) if routes_file.exists() else {}

    def _file_for(self, path: str, query: dict) -> Path | None:
        if ".." in path.split("/"):
            return None
        relative = path.lstrip("/")
        if path.endswith("/") or not relative:
            page = (query.get("results-page") or ["1"])[0]
            name = "index.html" if page in ("", "1") else f"page-{page}.html"
            if not re.fullmatch(r"index\.html|page-\d+\.html", name):
                return None
            candidate = self.site_dir / relative / name
        else:
            candidate = self.site_dir / relative
        if candidate.is_file() and not candidate.name.startswith("_") and candidate.suffix in (".html", ".txt"):
            return candidate
        return None

    def _base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _rewrite(self, body: bytes) -> bytes:
        base = self._base().encode()
        for origin in SITE_ORIGINS:
            body = body.replace(origin.encode(), base)
        return body

    def _error_page(self, status: int) -> bytes:
        return (f"<!DOCTYPE html><html><head><title>Page not found - Foreign Policy</title></head>"
                f"<body class=\"error{status}\"><h1>{status}</h1><p>Sorry, that page could not be found."
                f"</p></body></html>").encode()

    def _send(self, status: int, body: bytes, content_type: str = "text/html; charset=UTF-8"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FPSite:
    """A running fixture site: `with FPSite() as site: site.url`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, site_dir: Path = SITE_DIR,
                 article_delay: float = 0.0, api_fault: int | str | None = None, api_authors: dict | None = None,
                 api_totals: bool = True, path_delays: dict | None = None):
        handler = type("Handler", (FPSiteHandler,), {"site_dir": Path(site_dir), "article_delay": article_delay,
                                                     "api_fault": api_fault, "api_authors": api_authors or {},
                                                     "api_totals": api_totals, "path_delays": path_delays or {}})
        self.httpd = LoopbackHTTPServer((host, port), handler)
        self.httpd.request_log = []
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[str]:
        return self.httpd.request_log

    def __enter__(self) -> "FPSite":
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    options = parser.parse_args()
    site = FPSite(options.host, options.port)
    print(f"serving {SITE_DIR} at {site.url}", flush=True)
    try:
        site.httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
