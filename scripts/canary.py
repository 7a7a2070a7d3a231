"""The live canary (`make canary`): is the site still read the way it was?

1. `scrapy check cable`: the spider contracts (an index page yields article requests,
   an article page yields one item with headline, body, date and authors).
2. A small crawl: the newest index page (max_pages=1, mode=full) and at most
   CABLE_CANARY_ARTICLES articles (CLOSESPIDER_ITEMCOUNT), judged by the field coverage
   rules (SPIDERMON_FIELD_COVERAGE_RULES, from the first article on) and the other monitors.

Prints a field-coverage table; exits 1 when a contract or a rule failed (2 when the crawl
left no stats). Its crawl state and output go to a temporary directory, not to the
scheduled crawl's state/ and output/ (every canary run reads the same newest articles anew).

usage: python scripts/canary.py [-a base_url=http://127.0.0.1:8765] [-s NAME=VALUE ...]
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cable_crawler import settings as defaults  # noqa: E402
from cable_crawler.operations.monitors import coverage_rates  # noqa: E402


def run(command: list[str]) -> int:
    print("$", " ".join(command[2:]), flush=True)
    return subprocess.run(command, cwd=REPO).returncode


def coverage_table(stats: dict, rules: dict) -> list[str]:
    written = stats.get("spidermon_item_scraped_count/ArticleItem", 0)
    lines = [f"field coverage over {written} articles written:", f"  {'field':<14} {'rate':>6} {'rule':>6}"]
    for field, rate, rule in coverage_rates(stats, rules):
        lines.append(f"  {field:<14} {rate:>6.0%} {rule:>6.0%}  {'ok' if rate >= rule else 'FAILED'}")
    layouts = {k.split("/", 2)[2]: v for k, v in stats.items() if k.startswith("cable/layout/")}
    lines.append("  layouts: " + (", ".join(f"{name} {n}" for name, n in sorted(layouts.items())) or "none"))
    return lines


def main(argv: list[str]) -> int:
    articles = os.environ.get("CABLE_CANARY_ARTICLES", str(defaults.CABLE_CANARY_ARTICLES))
    scrapy = [sys.executable, "-m", "scrapy"]
    with tempfile.TemporaryDirectory(prefix="cable-canary-") as tmp:
        where = ["-s", f"CABLE_STATE_DIR={tmp}/state", "-s", f"CABLE_OUTPUT_DIR={tmp}/output"]
        checked = run(scrapy + ["check", "cable", *where, *argv])
        crawled = run(scrapy + ["crawl", "cable", "-a", "mode=full", "-a", "max_pages=1",
                                "-s", f"CLOSESPIDER_ITEMCOUNT={articles}",
                                "-s", "SPIDERMON_EXPECTED_FINISH_REASONS=finished,closespider_itemcount",
                                "-s", "CABLE_FIELD_COVERAGE_MIN_ITEMS=1", *where, *argv])
        history = Path(tmp) / "state" / "stats" / "cable_stats_history"
        if not history.is_file():
            print(f"canary: FAILED: the crawl left no stats ({history}); exit statuses: check {checked},"
                  f" crawl {crawled}", flush=True)
            return 2
        with history.open("rb") as file:
            stats = pickle.load(file)[0]  # noqa: S301 -- our own file, written by this run
    rules = dict(defaults.SPIDERMON_FIELD_COVERAGE_RULES)
    for i, arg in enumerate(argv[:-1]):  # -s SPIDERMON_FIELD_COVERAGE_RULES=... given to the crawl
        if arg == "-s" and argv[i + 1].startswith("SPIDERMON_FIELD_COVERAGE_RULES="):
            rules = json.loads(argv[i + 1].split("=", 1)[1])
    print("\n".join(coverage_table(stats, rules)))
    for failure in stats.get("cable/monitors_failed") or []:
        print(f"  monitor failed: {failure}")
    ok = checked == 0 and crawled == 0
    print(f"canary: {'passed' if ok else 'FAILED'} (scrapy check: exit {checked}, crawl: exit {crawled})", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
