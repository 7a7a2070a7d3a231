"""Distributed crawling: pages/s for 1, 2 and 3 workers through one Redis (prints figures; asserts nothing).

The fixture site grown to --articles article pages on 127.0.0.1, a real redis-server started by
scripts/redis.sh on a free port, then one crawl each with 1, 2 and 3 `scrapy crawl cable` workers
started together (CABLE_REDIS_URL, each its own output and crawl state, AutoThrottle off).
Pages/s = requests the site answered / seconds from its first request to its last (the workers'
start-up, a few seconds of imports each, and their end wait, CABLE_REDIS_IDLE_TIMEOUT, are left
out; the total time is printed beside it).
Each --delay is a second series: the site answers every article page that much later, standing
in for the network (on loopback a page costs only CPU, and the workers share the machine's cores).

Run: .venv/bin/python benchmarks/bench_workers.py [--articles 400] [--delay 0 0.1]
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

IDLE_TIMEOUT = 1.0


def crawl(site, redis_url: str, workers: int, crawl_id: str) -> tuple[int, int, float, list[int]]:
    """(requests the site received, articles written, seconds, exit statuses) of one distributed crawl."""
    with tempfile.TemporaryDirectory() as out:
        before = len(site.requests)
        # When the site received its first and its last request of this crawl: the crawling time,
        # without the workers' start-up (a few seconds of Python imports each) and their end wait.
        seen = {"first": None, "last": None, "count": before}
        stop = threading.Event()

        def sample():
            while not stop.wait(0.005):
                count = len(site.requests)
                if count != seen["count"]:
                    now = time.perf_counter()
                    seen["first"] = seen["first"] or now
                    seen["last"], seen["count"] = now, count

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        start = time.perf_counter()
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "scrapy", "crawl", "cable", "-a", f"base_url={site.url}", "-a", "mode=full",
                 "-a", "source=html", "-s", f"CABLE_OUTPUT_DIR={out}/output", "-s", f"CABLE_STATE_DIR={out}/state{n}",
                 "-s", f"CABLE_REDIS_URL={redis_url}", "-s", f"CABLE_REDIS_CRAWL={crawl_id}",
                 "-s", f"CABLE_WORKER_ID=b{n}", "-s", f"CABLE_REDIS_IDLE_TIMEOUT={IDLE_TIMEOUT}",
                 "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING", "-s", "STATS_DUMP=False"],
                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for n in range(workers)]
        codes = [p.wait(timeout=600) for p in processes]
        elapsed = time.perf_counter() - start
        stop.set()
        sampler.join()
        items = sum(len(f.read_text().splitlines()) for f in Path(out, "output").glob("the-cable-*.jsonl"))
        crawling = (seen["last"] - seen["first"]) if seen["first"] else elapsed
        return len(site.requests) - before, items, elapsed, crawling, codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=400, help="article pages on the benchmark site")
    parser.add_argument("--delay", type=float, nargs="+", default=[0.0, 0.1],
                        help="seconds the site waits before each article page (one series each)")
    options = parser.parse_args()
    redis_sh = REPO / "scripts" / "redis.sh"
    installed = subprocess.run(["bash", str(redis_sh), "install"], capture_output=True, text=True)
    if installed.returncode != 0:
        print(f"bench_workers: skipped: {installed.stderr.strip()}")
        return
    env = {**os.environ, "REDIS_RUN_DIR": tempfile.mkdtemp(prefix="bench-redis-")}
    port = free_port()
    subprocess.run(["bash", str(redis_sh), "start", str(port)], check=True, env=env, capture_output=True)
    site_root = Path(tempfile.mkdtemp(prefix="bench-site-"))
    grow_site(site_root, options.articles)
    cores = os.cpu_count()
    try:
        for delay in options.delay:
            with FPSite(site_dir=site_root, article_delay=delay) as site:
                base = None
                for workers in (1, 2, 3):
                    pages, items, elapsed, crawling, codes = crawl(site, f"redis://127.0.0.1:{port}/0", workers,
                                                                   f"bench-{delay}-{workers}")
                    rate = pages / max(crawling, 0.001)
                    base = base or rate
                    print(f"workers={workers} cores={cores} article_delay={delay}s: {pages} pages, {items} articles;"
                          f" first to last page {crawling:.1f}s -> {rate:.1f} pages/s (x{rate / base:.2f});"
                          f" {elapsed:.1f}s with start-up and end; exit {codes}")
    finally:
        subprocess.run(["bash", str(redis_sh), "stop"], env=env, check=False, capture_output=True)
        shutil.rmtree(site_root)
        shutil.rmtree(env["REDIS_RUN_DIR"], ignore_errors=True)


if __name__ == "__main__":
    main()
