"""A fault-injecting FP site on 127.0.0.1: the fixture site of fpsite.py, but a
share of responses go wrong the ways real servers go wrong.

Faults (chosen per request with a seeded RNG, so a run is reproducible):
  500, 503 (no Retry-After), 503-retry-after, 429 (Retry-After), slow (answers
  after `slow_seconds`, past the crawler's download timeout), reset (TCP RST, no
  response), truncated (Content-Length larger than the body sent), empty (200
  with no body), redirect-loop (302 to the same URL).
`always` maps paths to a fault served on every request (a page the site never
serves). robots.txt is never faulty.

The server records, per path, what it injected and whether it ever served the
page whole, so tests can check "every article the site eventually served was
captured".
"""

from __future__ import annotations

import random
import socket
import struct
import time
from collections import Counter, defaultdict
from urllib.parse import urlsplit

from fpsite import SITE_DIR, FPSite, FPSiteHandler

FAULTS = ("500", "503", "503-retry-after", "429", "slow", "reset", "truncated", "empty", "redirect-loop")


class FaultyHandler(FPSiteHandler):
    fault_rate = 0.0
    faults = FAULTS
    always: dict = {}
    seed = 0
    slow_seconds = 2.0

    def do_GET(self):
        path = urlsplit(self.path).path
        log = self.server.fault_log
        attempt = log["attempts"][path] = log["attempts"].get(path, 0) + 1
        fault = self.always.get(path)
        if fault is None and path != "/robots.txt":
            rng = random.Random(f"{self.seed}:{self.path}:{attempt}")
            if rng.random() < self.fault_rate:
                fault = rng.choice(self.faults)
        if fault is None:
            self.wfile = _Recorder(self.wfile)
            super().do_GET()
            if self.wfile.status == 200:
                log["served"][path] += 1
            return
        log["injected"][fault] += 1
        log["faults"][path].append(fault)
        getattr(self, "fault_" + fault.replace("-", "_"))()

    # --- the faults
    def _status(self, code: int, headers: dict | None = None):
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def fault_500(self):
        self._status(500)

    def fault_503(self):
        self._status(503)

    def fault_503_retry_after(self):
        self._status(503, {"Retry-After": "1"})

    def fault_429(self):
        self._status(429, {"Retry-After": "1"})

    def fault_slow(self):
        time.sleep(self.slow_seconds)
        self._status(503)  # whatever it says, the crawler stopped waiting

    def fault_reset(self):
        # SO_LINGER 0: close() sends RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def fault_truncated(self):
        body = b"<!DOCTYPE html><html><head><title>Truncated</title></head><body><p>Half a page"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Content-Length", str(len(body) + 5000))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def fault_empty(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=UTF-8")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def fault_redirect_loop(self):
        self._status(302, {"Location": self.path})


class _Recorder:
    """Wraps the response stream to learn the status that was sent."""

    def __init__(self, stream):
        self.stream = stream
        self.status = None

    def write(self, data: bytes):
        if self.status is None and data.startswith(b"HTTP/"):
            self.status = int(data.split(b" ", 2)[1])
        return self.stream.write(data)

    def __getattr__(self, name):
        return getattr(self.stream, name)


class FaultySite(FPSite):
    def __init__(self, fault_rate: float = 0.2, faults=FAULTS, always: dict | None = None, seed: int = 0,
                 slow_seconds: float = 2.0, site_dir=SITE_DIR):
        super().__init__(site_dir=site_dir)
        handler = type("Handler", (FaultyHandler, self.httpd.RequestHandlerClass), {
            "fault_rate": fault_rate, "faults": tuple(faults), "always": dict(always or {}),
            "seed": seed, "slow_seconds": slow_seconds,
        })
        self.httpd.RequestHandlerClass = handler
        self.httpd.handle_error = lambda request, address: None  # a client that hung up is the point
        self.httpd.fault_log = {"attempts": {}, "served": Counter(), "injected": Counter(),
                                "faults": defaultdict(list)}

    @property
    def fault_log(self) -> dict:
        return self.httpd.fault_log
