"""Runs one command in a network where every host but 127.0.0.1 is a tarpit.

Meant to run inside fresh network and mount namespaces, which the test creates:
    unshare --net --mount -- python tests/isolated_network.py WORKDIR -- COMMAND...
Inside them it
- routes every IPv4 address to the namespace's own loopback, where a tarpit
  accepts on ports 80 and 443, counts connections and never answers;
- bind-mounts an /etc/hosts that maps the Public Suffix List hosts (and any name
  in THIRD_PARTY_HOSTS) to a TEST-NET address, which is the tarpit too, and an
  /etc/resolv.conf whose server, on 127.0.0.53, answers every name with that
  address and records the query;
- serves the fixture site (or --site-dir) on 127.0.0.1, with a Set-Cookie
  header on every response, and substitutes its address for {site} in COMMAND
  (and its port for {port} in redirects);
- runs COMMAND (bounded by --timeout), then prints one JSON report on stdout:
  returncode, timed_out, tarpit connections, DNS queries, command output.
Nothing leaves the namespace: it has no interface but its loopback.
"""

from __future__ import annotations

import argparse
import json
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fpsite import FPSite, FPSiteHandler  # noqa: E402

TARPIT_ADDRESS = "198.51.100.1"  # TEST-NET-2: routed to the tarpit inside the namespace
TARPIT_PORTS = (80, 443)
RESOLVER_ADDRESS = "127.0.0.53"
THIRD_PARTY_HOSTS = ("publicsuffix.org", "raw.githubusercontent.com", "github.com",
                     "json-schema.org", "pypi.org")


class CookieSiteHandler(FPSiteHandler):
    def end_headers(self):
        # Any cookie sends Scrapy's CookiesMiddleware to the Public Suffix List.
        self.send_header("Set-Cookie", "visitor=1; Path=/")
        super().end_headers()

    def send_header(self, keyword, value):
        if keyword == "Location":  # redirects in _routes.json may name the site's port
            value = value.replace("{port}", str(self.server.server_address[1]))
        super().send_header(keyword, value)


class CookieSite(FPSite):
    """The fixture site (or the one in site_dir), setting a cookie on every response."""

    def __init__(self, site_dir: Path | None = None):
        super().__init__()
        attributes = {"site_dir": site_dir} if site_dir else {}
        self.httpd.RequestHandlerClass = type("Handler", (CookieSiteHandler,), attributes)


class Tarpit:
    """Accepts connections and never answers; records where each one was headed."""

    def __init__(self):
        self.connections: list[str] = []
        self.held: list[socket.socket] = []
        self.listeners = []
        for port in TARPIT_PORTS:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("0.0.0.0", port))
            listener.listen(64)
            self.listeners.append(listener)
            threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            host, port = connection.getsockname()[:2]  # the address the client dialled
            self.connections.append(f"{host}:{port}")
            self.held.append(connection)


class Resolver:
    """A DNS server that answers every A query with the tarpit's address."""

    def __init__(self):
        self.queries: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((RESOLVER_ADDRESS, 53))
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                query, client = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                self.sock.sendto(self._answer(query), client)
            except (IndexError, struct.error, OSError):
                continue

    def _answer(self, query: bytes) -> bytes:
        labels, offset = [], 12
        while query[offset]:
            length = query[offset]
            labels.append(query[offset + 1:offset + 1 + length].decode("ascii", "replace"))
            offset += 1 + length
        qtype = struct.unpack("!H", query[offset + 1:offset + 3])[0]
        question = query[12:offset + 5]
        self.queries.append(".".join(labels) + ("" if qtype == 1 else f" (type {qtype})"))
        answers = 1 if qtype == 1 else 0
        header = query[:2] + struct.pack("!HHHHH", 0x8180, 1, answers, 0, 0)
        record = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(TARPIT_ADDRESS) if answers else b""
        return header + question + record


def isolate_network(workdir: Path) -> None:
    for command in (["ip", "link", "set", "lo", "up"],
                    ["ip", "route", "add", "local", "0.0.0.0/0", "dev", "lo"]):
        subprocess.run(command, check=True)
    hosts = workdir / "hosts"
    hosts.write_text("127.0.0.1 localhost\n" + "".join(f"{TARPIT_ADDRESS} {h}\n" for h in THIRD_PARTY_HOSTS))
    resolv = workdir / "resolv.conf"
    resolv.write_text(f"nameserver {RESOLVER_ADDRESS}\noptions timeout:1 attempts:1\n")
    for source, target in ((hosts, "/etc/hosts"), (resolv, "/etc/resolv.conf")):
        subprocess.run(["mount", "--bind", str(source), target], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--timeout", type=float, default=90)
    parser.add_argument("--cwd", default=None)
    parser.add_argument("--site-dir", type=Path, default=None)
    split = sys.argv.index("--")
    options, command = parser.parse_args(sys.argv[1:split]), sys.argv[split + 1:]
    isolate_network(options.workdir)
    tarpit, resolver = Tarpit(), Resolver()
    with CookieSite(options.site_dir) as site:
        command = [part.replace("{site}", site.url) for part in command]
        timed_out, returncode, output = False, None, ""
        try:
            done = subprocess.run(command, cwd=options.cwd, capture_output=True, text=True, timeout=options.timeout)
            returncode, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as expired:  # run() has killed it
            timed_out = True
            output = "".join(part.decode() if isinstance(part, bytes) else (part or "")
                             for part in (expired.stdout, expired.stderr))
    print(json.dumps({"site": site.url, "returncode": returncode, "timed_out": timed_out,
                      "tarpit_connections": tarpit.connections, "dns_queries": resolver.queries,
                      "site_requests": site.requests, "output": output}))


if __name__ == "__main__":
    main()
