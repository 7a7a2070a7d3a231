"""Rendering cost, side by side (prints figures; asserts nothing): the same `scrapy crawl cable`
on the same loopback site (tests/fpsite.grow_site), plain HTTP, through Splash and through
Playwright (Debian's Chromium), with pages/s, and the peak RSS of the renderer's processes
(Chromium's, or Splash's) sampled over the crawl.

Run: make bench-render   (or .venv/bin/python benchmarks/bench_render.py --articles 1000 --renderers none,playwright)
Splash is installed and started by scripts/splash.sh, Chromium by scripts/chromium.sh (Debian packages, root).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from fpsite import FPSite, free_port, grow_site  # noqa: E402

WAIT = 0.5  # CABLE_SPLASH_WAIT / CABLE_PLAYWRIGHT_WAIT: seconds after load, the same for both


def processes_rss(pattern: str) -> int:
    """Total proportional set size (bytes; shared pages split between the processes sharing
    them, so a multi-process browser is not counted several times) of the processes whose
    command line contains `pattern`."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            if pattern not in cmdline:
                continue
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue  # gone meanwhile
    return total


class PeakRSS:
    """Samples processes_rss(pattern) every 0.2 s while running; .peak in bytes."""

    def __init__(self, pattern: str):
        self.pattern, self.peak, self.done = pattern, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.done.wait(0.2):
            self.peak = max(self.peak, processes_rss(self.pattern))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()


def crawl(site, render: str, splash_url: str | None, wait: float) -> tuple[int, int, float]:
    """(pages the site served, articles written, seconds) of one crawl."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "scrapy", "crawl", "cable", "-a", f"base_url={site.url}",
                   "-a", "mode=full", "-a", "source=html", "-a", f"render={render}",
                   "-s", f"CABLE_OUTPUT_DIR={out}", "-s", f"CABLE_STATE_DIR={out}/state",
                   "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING", "-s", "STATS_DUMP=False",
                   "-s", f"CABLE_SPLASH_WAIT={wait}", "-s", f"CABLE_PLAYWRIGHT_WAIT={wait}"]
        if splash_url:
            command += ["-s", f"SPLASH_URL={splash_url}"]
        before = len(site.requests)
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, check=False, capture_output=True)
        elapsed = time.perf_counter() - start
        items = sum(len(f.read_text().splitlines()) for f in Path(out).glob("the-cable-*.jsonl"))
        return len(site.requests) - before, items, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--renderers", default="none,splash,playwright")
    parser.add_argument("--wait", type=float, default=WAIT, help="seconds after load (both renderers)")
    options = parser.parse_args()
    renderers = [r.strip() for r in options.renderers.split(",") if r.strip()]
    print(f"rendering bench: {options.articles} articles, {os.cpu_count()} cores, wait {options.wait}s after load")
    splash_env, splash_url = None, None
    if "splash" in renderers:
        splash_env = {**os.environ, "SPLASH_RUN_DIR": tempfile.mkdtemp(prefix="bench-splash-")}
        port = free_port()
        subprocess.run(["bash", str(REPO / "scripts" / "splash.sh"), "start", str(port)], check=True, env=splash_env)
        splash_url = f"http://127.0.0.1:{port}"
    if "playwright" in renderers:
        subprocess.run(["bash", str(REPO / "scripts" / "chromium.sh"), "install"], check=True)
    site_root = Path(tempfile.mkdtemp(prefix="bench-site-"))
    grow_site(site_root, options.articles)
    try:
        with FPSite(site_dir=site_root) as site:
            for render in renderers:
                # The renderer's own processes: Chromium driven by Playwright, or Splash's server.
                pattern = {"playwright": "/chromium/chromium", "splash": "splash_server.py"}.get(render)
                with PeakRSS(pattern or "\0never") as rss:
                    pages, items, elapsed = crawl(site, render, splash_url, options.wait)
                peak = f", renderer peak memory (PSS) {rss.peak / 2**20:.0f} MiB" if pattern else ""
                print(f"render={render}: {pages} pages, {items} articles in {elapsed:.1f}s -> "
                      f"{pages / elapsed:.1f} pages/s{peak}")
    finally:
        if splash_env:
            subprocess.run(["bash", str(REPO / "scripts" / "splash.sh"), "stop"], env=splash_env, check=False)
        shutil.rmtree(site_root)


if __name__ == "__main__":
    main()
