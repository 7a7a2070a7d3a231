"""Speed and memory figures for cable_crawler (prints them; asserts nothing).

1. Parser: every fixture article page read by read_article(),
   repeated; pages/s and ms/page; peak Python memory (tracemalloc).
2. Crawl: `scrapy crawl cable` end to end on 127.0.0.1 against the fixture
   site grown to --articles distinct article pages (copies of a fixture
   article), AutoThrottle off so the crawler itself is measured; wall time,
   requests/s, articles/s, peak RSS of the crawl process.

Run: make bench   (or .venv/bin/python benchmarks/bench.py --rounds 5)
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from scrapy.http import HtmlResponse  # noqa: E402

from cable_crawler.extraction.pages import read_article  # noqa: E402
from fpsite import SITE_DIR, FPSite, grow_site  # noqa: E402


def article_pages() -> list[HtmlResponse]:
    pages = []
    for path in sorted(SITE_DIR.glob("[12][0-9][0-9][0-9]/**/index.html")):
        url = "https://foreignpolicy.com/" + str(path.parent.relative_to(SITE_DIR)) + "/"
        pages.append(HtmlResponse(url=url, body=path.read_bytes(), encoding="utf-8"))
    return pages


def bench_parser(rounds: int) -> None:
    pages = article_pages()
    size = sum(len(p.body) for p in pages)
    timings = []
    for _ in range(rounds):
        fresh = [p.replace() for p in pages]  # new responses: no cached selector
        start = time.perf_counter()
        for response in fresh:
            read_article(response, column="The Cable")
        timings.append(time.perf_counter() - start)
    best = min(timings)
    tracemalloc.start()
    for response in [p.replace() for p in pages]:
        read_article(response, column="The Cable")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"parser: {len(pages)} article pages ({size / 1024:.0f} KiB), best of {rounds}: "
          f"{best * 1000:.1f} ms -> {len(pages) / best:.0f} pages/s, {best / len(pages) * 1000:.2f} ms/page "
          f"(median {statistics.median(timings) * 1000:.1f} ms)")
    print(f"parser: peak Python memory for one pass: {peak / 1024 / 1024:.1f} MiB")


def timed_crawl(site, *options: str) -> tuple[int, int, int, float]:
    """One `scrapy crawl cable` against `site` with its own output and state:
    (requests the site received, articles written, rejects, seconds)."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "scrapy", "crawl", "cable", "-a", f"base_url={site.url}",
                   "-s", f"CABLE_OUTPUT_DIR={out}", "-s", f"CABLE_STATE_DIR={out}/state",
                   "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING", "-s", "STATS_DUMP=False",
                   *options]
        before = len(site.requests)
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, check=False, capture_output=True)
        elapsed = time.perf_counter() - start
        items = sum(len(f.read_text().splitlines()) for f in Path(out).glob("the-cable-*.jsonl"))
        rejects = sum(len(f.read_text().splitlines()) for f in Path(out).glob("rejects-*.jsonl"))
        return len(site.requests) - before, items, rejects, elapsed


def bench_crawl(rounds: int, articles: int) -> None:
    site_root = Path(tempfile.mkdtemp(prefix="bench-site-"))
    grow_site(site_root, articles)
    with FPSite(site_dir=site_root) as site:
        for n in range(1, rounds + 1):
            requests, items, rejects, elapsed = timed_crawl(site)
            print(f"crawl {n}: {requests} requests, {items} articles, {rejects} rejects in {elapsed:.2f}s "
                  f"(process start included) -> {requests / elapsed:.1f} requests/s, "
                  f"{items / elapsed:.1f} articles/s")
    shutil.rmtree(site_root)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"crawl: peak RSS of a crawl process: {rss:.0f} MiB")


def bench_splash(articles: int) -> None:
    """The same crawl with and without Splash (a real Splash started by scripts/splash.sh)."""
    import os
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run_dir = tempfile.mkdtemp(prefix="bench-splash-")
    env = {**os.environ, "SPLASH_RUN_DIR": run_dir}
    subprocess.run(["bash", str(REPO / "scripts" / "splash.sh"), "start", str(port)], check=True, env=env)
    site_root = Path(tempfile.mkdtemp(prefix="bench-site-"))
    grow_site(site_root, articles)
    try:
        with FPSite(site_dir=site_root) as site:
            for render in ("none", "splash"):
                pages, items, _, elapsed = timed_crawl(
                    site, "-a", f"render={render}", "-s", f"SPLASH_URL=http://127.0.0.1:{port}",
                    "-s", "CABLE_SPLASH_WAIT=0.5")
                print(f"render={render}: {pages} pages, {items} articles in {elapsed:.1f}s -> "
                      f"{pages / elapsed:.1f} pages/s (CABLE_SPLASH_WAIT=0.5)")
    finally:
        subprocess.run(["bash", str(REPO / "scripts" / "splash.sh"), "stop"], env=env, check=False)
        shutil.rmtree(site_root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--articles", type=int, default=1000, help="article pages on the crawl benchmark site")
    parser.add_argument("--splash", type=int, default=0, metavar="N",
                        help="also crawl N articles with and without Splash (installs it: scripts/splash.sh)")
    options = parser.parse_args()
    print(json.dumps({"python": sys.version.split()[0]}))
    bench_parser(options.rounds * 4)
    bench_crawl(options.rounds, options.articles)
    if options.splash:
        bench_splash(options.splash)


if __name__ == "__main__":
    main()
