"""A loopback site of given pages: {path: body or (body, content type)} on 127.0.0.1.

For tests that need a few handmade pages served over real HTTP (hostile pages, a page
of no known layout); the FP-shaped fixture site is tests/fpsite.py. Absolute links to
foreignpolicy.com in a body point at this server, as on the fixture site. Any other
path is a 404. `served` lists the paths sent whole, in order.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

from fpsite import SITE_ORIGINS, LoopbackHTTPServer

HTML = "text/html; charset=UTF-8"


class PageSite:
    def __init__(self, pages: dict[str, str | bytes | tuple[str | bytes, str]]):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path not in site.pages:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                page = site.pages[self.path]
                html, content_type = page if isinstance(page, tuple) else (page, HTML)
                body = html if isinstance(html, bytes) else html.encode("utf-8")
                for origin in SITE_ORIGINS:
                    body = body.replace(origin.encode(), site.url.encode())
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                site.served.append(self.path)

        self.pages = pages
        self.served: list[str] = []
        self.httpd = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return "http://%s:%d" % self.httpd.server_address[:2]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
