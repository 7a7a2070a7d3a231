"""`make bench` in its smallest form, so that it cannot rot: every section prints its figures.
Nothing here is timed or compares speeds (a benchmark asserts nothing about time)."""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NUMBER = r"\d+(?:\.\d+)?"


def test_bench_prints_every_section_with_numbers():
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench.py"), "--rounds", "1", "--articles", "12",
         "--memory", "12,24", "--page-rounds", "1"],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    out = result.stdout
    print(out)  # shown in full when an assertion fails
    print(result.stderr[-3000:])
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r"Python \d+\.\d+\.\d+, Scrapy \d", out), out
    # crawl: the four contenders wrote the 12 articles, side by side, and their ratios
    for name in ("bare spider", r"cable -a mode=full \(source=both, default\)", "cable -a mode=full -a source=html",
                 "  the same, read in the crawl's process"):
        assert re.search(rf"^{name}.*?\s{NUMBER}\s+{NUMBER}\s+12\s+\d+\s+{NUMBER}\s+{NUMBER}$", out, re.M), name
    ratios = rf"source=both {NUMBER}, source=html {NUMBER}, source=html in process {NUMBER}"
    assert re.search(rf"throughput ratio cable/bare \(articles/s\): {ratios}", out)
    assert re.search(rf"CPU time ratio bare/cable .*: {ratios}", out)
    # where the time goes: each contender's timeline run (start-up, first item, pace, end)
    for name in ("bare spider", r"cable -a mode=full \(source=both, default\)", "cable -a mode=full -a source=html",
                 "the same, read in the crawl's process"):
        assert re.search(rf"^  {name}.*?\s{NUMBER}\s+{NUMBER}\s+{NUMBER} \({NUMBER} ms/item\)\s+{NUMBER}\s+{NUMBER}$",
                         out, re.M), (name, out)
    # pages: every engine measured or said to be missing, and the ratios
    for name in ("lxml parse", "naive 7-field parsel read", r"ours: read_article\(\)"):
        assert re.search(rf"^{name}.*?\s{NUMBER}\s+{NUMBER}$", out, re.M), (name, out)
    for stage in (r"parse \(page_root\)", "finding: the page methods", "output processors, derived fields"):
        assert re.search(rf"^  {stage}\s+{NUMBER} ms\s+{NUMBER} %$", out, re.M), (stage, out)
    # its floor: each step it cannot leave out, in ms and in lxml parses, and their sum against the goal
    for step in (r"parse \(page_root\)", "the page methods' Lexbor queries, replayed",
                 "the processors, fed what the page methods found"):
        assert re.search(rf"^  {step}\s+{NUMBER} ms\s+{NUMBER}x$", out, re.M), (step, out)
    assert re.search(rf"^  the floor\s+{NUMBER} ms\s+{NUMBER}x   \(real page {NUMBER}x; the read itself: {NUMBER}x,"
                     rf" real page {NUMBER}x; goal <= 3x\)$", out, re.M), out
    assert re.search(rf"left of 3x for everything else .*: -?{NUMBER} ms a page; the read spends -?{NUMBER} ms there", out)
    assert re.search(rf"the floor of each page, in its lxml parses: (?:{NUMBER} ){{11}}{NUMBER} \(\d+ of 12 over 3x\)", out)
    for peer in ("trafilatura", "newspaper4k"):
        assert re.search(rf"^{peer}.*?(\s{NUMBER}\s+{NUMBER}|not installed.*)$", out, re.M), (peer, out)
        assert re.search(rf"^{peer} / ours: (all pages {NUMBER}x, real page {NUMBER}x|not installed)", out, re.M)
    assert re.search(rf"ours / lxml parse: all pages {NUMBER}x, real page {NUMBER}x", out)
    assert re.search(rf"^the crawl benchmark's article .*: lxml {NUMBER} ms, naive {NUMBER} ms, ours {NUMBER} ms", out, re.M)
    # memory: both crawl sizes wrote every article, peak RSS of each and their ratio
    for n in (12, 24):  # the crawl's process and its page reader (a worker process) each measured
        match = re.search(rf"^\s+{n} articles: peak RSS\s+(\d+) MiB \(crawl's process (\d+), page reader (\d+)\),"
                          rf" {n} written", out, re.M)
        assert match, out
        total, crawl, reader = map(int, match.groups())
        assert crawl > 30 and reader > 30 and abs(total - crawl - reader) <= 1
    assert re.search(rf"peak RSS 24 / 12 articles: {NUMBER}x \(the crawl's process alone: {NUMBER}x\)", out)
    # incremental: the re-crawl of the unchanged site requests no article and writes nothing
    for label in ("-a source=html", r"default \(source=both\)"):
        match = re.search(rf"^{label}\s+(\d+)\s+(\d+)\s+(\d+)\s+{NUMBER}\s+(\d+)$", out, re.M)
        assert match, (label, out)
        index, api, articles, written = map(int, match.groups())
        assert (articles, written) == (0, 0) and index >= 1
        assert (api == 0) == label.startswith("-a source=html")
    # then new articles on top of the index: each requested and written, nothing else
    match = re.search(rf"^  100 new, 24 in the state\s+(\d+)\s+(\d+)\s+(\d+)\s+{NUMBER}\s+(\d+)$", out, re.M)
    assert match, out
    index, api, articles, written = map(int, match.groups())
    assert (api, articles, written) == (0, 100, 100) and index >= 1


def test_the_loopback_site_queues_a_crawls_connections_while_busy():
    """The sites the crawls and `make bench` read queue pending connections as a web server
    does: Python's default backlog of 5 made Linux drop a crawl's SYNs while the server's
    thread waited for the CPU, each dropped one costing a 1 s retransmission."""
    import socket

    sys.path.insert(0, str(REPO / "tests"))
    from fpsite import FPSite

    site = FPSite()  # not started: nobody accepts, so every connection waits in the backlog
    try:
        host, port = site.httpd.server_address[:2]
        connections = []
        try:
            for _ in range(32):  # 4 times CONCURRENT_REQUESTS
                connection = socket.socket()
                connections.append(connection)
                connection.settimeout(0.5)  # a dropped SYN is sent again after 1 s
                connection.connect((host, port))
        finally:
            for connection in connections:
                connection.close()
    finally:
        site.httpd.server_close()
