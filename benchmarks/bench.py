"""Speed and memory of cable_crawler, side by side with a bare Scrapy spider and two generic
extractors, in one run. Prints figures; asserts nothing about time.

1. crawl: a bare Scrapy spider (benchmarks/bare_spider.py: the same index and article pages,
   7 naive parsel fields, a feed export) against `scrapy crawl cable -a mode=full`, with the
   default -a source=both (which also reads the site's WordPress REST API replica) and with
   -a source=html, on the same loopback site grown by tests/fpsite.grow_site; alternating runs,
   median of --rounds; AutoThrottle off, CONCURRENT_REQUESTS=8, CONCURRENT_REQUESTS_PER_DOMAIN=4,
   robots.txt obeyed, LOG_LEVEL=WARNING for all. Throughput ratio ours/bare (goal >= 0.9). Then
   one more run of each with benchmarks/timeline.py: where the time goes (start-up, the first
   item, the pace between 10 % and 90 % of the items, the end).
2. pages: per-page cost on the fixture article pages and the real 2021 FP page: lxml parse,
   a naive 7-field parsel read, our read_article(), trafilatura's bare_extraction(with_metadata=True)
   and newspaper4k (image fetching off, the HTML handed over: no network). The two peers are
   the optional extra `bench` (pip install -e '.[bench]'); "not installed" when absent. Then
   read_article() stage by stage: encoding repair, parse, layout, finding, the processors; and
   its floor: the steps it cannot leave out (those stages but the finding, and the Lexbor
   queries the page methods ask, replayed), each timed alone, in lxml parses.
3. memory: peak RSS of a `scrapy crawl cable -a mode=full` of --memory sizes (1,000 and
   10,000 articles): the crawl process with its state, ledger, dupefilter and stats (goal:
   large <= 1.2x small).
4. incremental: the crawl of the unchanged large site again, with the state of its full crawl:
   index, API and article requests, and seconds, with -a source=html and with the default
   source=both (goal for source=html: <= 2 index requests, 0 article requests, under 5 s); then
   with 100 new articles on top of its index (each looked up in the large state three times).

Run: make bench   (or .venv/bin/python benchmarks/bench.py --quick; --help for the sizes)
Wall times include the start of each Scrapy process (about 1.5 s here).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
# This checkout's package and test site first (also when run from a copy of the tree).
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from fpsite import ARTICLE_A, SITE_DIR, FPSite, grow_site, write_copies, write_listing  # noqa: E402

REAL_PAGE = REPO / "tests" / "data" / "corpus" / "fp" / "article-2021-05-29-gay-reparations-fp2017-theme.html"
REAL_URL = "https://foreignpolicy.com/2021/05/29/gay-reparations-lgbtq-united-states/"

# The same for the bare spider and ours (the measurement).
COMMON = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=8",
          "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4", "-s", "ROBOTSTXT_OBEY=True",
          "-s", "LOG_LEVEL=WARNING", "-s", "STATS_DUMP=False"]


# ------------------------------------------------------------------------------ the site


class BenchSite(FPSite):
    """The grown fixture site, served from a thread of this process (so that its request log
    can be read), with the WordPress REST API replica's post list built once: the replica
    rebuilds it from every page file on each API request (right for tests that change pages,
    seconds per request on a 10,000-article site), and the site does not change here."""

    def __init__(self, site_dir: Path):
        super().__init__(site_dir=site_dir)
        base = self.httpd.RequestHandlerClass

        class CachedApi(base):
            posts = None

            def _wp_posts(self):
                if CachedApi.posts is None:
                    CachedApi.posts = base._wp_posts(self)
                return CachedApi.posts

        self.httpd.RequestHandlerClass = CachedApi


def grown(root: Path, articles: int) -> Path:
    grow_site(root, articles)
    return root


def kinds(paths: list[str]) -> dict[str, int]:
    """The site's requests by kind: index pages, API calls, article pages, robots.txt."""
    count = {"index": 0, "api": 0, "article": 0, "robots": 0}
    for path in paths:
        if path.startswith("/wp-json/"):
            count["api"] += 1
        elif path.startswith("/channel/"):
            count["index"] += 1
        elif path.startswith("/robots.txt"):
            count["robots"] += 1
        else:
            count["article"] += 1
    return count


# ------------------------------------------------------------------------------ crawls


@dataclass
class Run:
    seconds: float
    items: int
    rc: int
    rss_mib: float
    requests: dict
    cpu: float = 0.0  # CPU seconds (user + system) of the crawl process and its page readers: less shaken than wall time
    readers_rss_mib: float = 0.0  # the crawl's page reader processes (crawl/page_reader.py): their peaks, summed
    started: float = 0.0  # time.time() when the process was started, and when it had ended
    ended: float = 0.0


def children_peaks(pid: int, peaks: dict[int, int], done) -> None:
    """Until done(): each child process's peak RSS (VmHWM, KiB), read from /proc every 50 ms.
    wait4's ru_maxrss gives the largest of the crawl's process and its children, not their sum."""
    while not done():
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().split(")")[-1].split()[1]) != pid:
                    continue
                for line in (stat.parent / "status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        child = int(stat.parent.name)
                        peaks[child] = max(peaks.get(child, 0), int(line.split()[1]))
            except (OSError, ValueError, IndexError):
                continue
        time.sleep(0.05)


def run_process(command: list[str], cwd: Path, site: BenchSite, children_rss: bool = False) -> Run:
    """The process's Run, its items not yet counted (0): seconds, exit status, peak RSS in MiB of
    that process alone, the site's requests by kind, CPU seconds of that process and its
    children, the sum of its children's peak RSS in MiB when `children_rss` (else 0: the sampler
    reads /proc every 50 ms, ~1 ms each time, in the process that also serves the site, so the
    timed runs go without it), and time.time() at the start and the end."""
    before = len(site.requests)
    started = time.time()
    start = time.perf_counter()
    # Without SCRAPY_* variables (SCRAPY_SETTINGS_MODULE, set by Scrapy in a process that read
    # the project's settings): the bare spider must not run under cable_crawler's settings.
    env = {name: value for name, value in os.environ.items() if not name.startswith("SCRAPY_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH_DIR), env.get("PYTHONPATH")]))  # timeline.py
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks: dict[int, int] = {}
    sampled = threading.Event()
    sampler = threading.Thread(target=children_peaks, args=(process.pid, peaks, sampled.is_set), daemon=True)
    if children_rss:
        sampler.start()
    stderr = process.stderr.read()
    sampled.set()
    if sampler.is_alive():
        sampler.join()
    # This child's rusage, its reaped children's included (ru_maxrss: the largest of them, KiB)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    ended = time.time()
    process.stderr.close()
    if process.returncode not in (0,):
        tail = stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        print(f"    (exit status {process.returncode}: {' | '.join(tail)})", flush=True)
    return Run(seconds=elapsed, items=0, rc=process.returncode, rss_mib=usage.ru_maxrss / 1024,
               requests=kinds(site.requests[before:]), cpu=usage.ru_utime + usage.ru_stime,
               readers_rss_mib=sum(peaks.values()) / 1024, started=started, ended=ended)


def jsonl_lines(files) -> int:
    return sum(len(f.read_bytes().splitlines()) for f in files)


TIMELINE = "timeline.CrawlTimeline"  # benchmarks/timeline.py


def with_timeline(extensions: dict, path: Path | None) -> list[str]:
    """The settings that add the timeline extension to a crawl's EXTENSIONS (all of them: a
    -s EXTENSIONS replaces the project's), or none."""
    if path is None:
        return []
    return ["-s", f"EXTENSIONS={json.dumps({**extensions, TIMELINE: 0})}", "-s", f"BENCH_TIMELINE_FILE={path}"]


def run_bare(site: BenchSite, work: Path, timeline: Path | None = None) -> Run:
    out = Path(tempfile.mkdtemp(prefix="bare-", dir=work))
    command = [sys.executable, "-m", "scrapy", "runspider", str(BENCH_DIR / "bare_spider.py"),
               "-a", f"base_url={site.url}", "-O", str(out / "bare.jsonl"), *COMMON, *with_timeline({}, timeline)]
    # Run outside the project (cwd=out): none of cable_crawler's settings apply.
    return replace(run_process(command, out, site), items=jsonl_lines(out.glob("bare.jsonl")))


def run_ours(site: BenchSite, work: Path, *args: str, state: Path | None = None, children_rss: bool = False,
             timeline: Path | None = None) -> Run:
    from cable_crawler import settings as project

    out = Path(tempfile.mkdtemp(prefix="cable-", dir=work))
    state = state or out / "state"
    command = [sys.executable, "-m", "scrapy", "crawl", "cable", "-a", f"base_url={site.url}", *args,
               "-s", f"CABLE_OUTPUT_DIR={out}", "-s", f"CABLE_STATE_DIR={state}", *COMMON,
               *with_timeline(project.EXTENSIONS, timeline)]
    run = run_process(command, REPO, site, children_rss)
    return replace(run, items=jsonl_lines(out.glob("the-cable-*.jsonl")))


def fmt_runs(runs: list[Run]) -> str:
    return " ".join(f"{r.seconds:.2f}" for r in runs)


def bench_crawl(work: Path, articles: int, rounds: int) -> dict:
    print(f"\n== crawl: {articles:,} articles on 127.0.0.1, median of {rounds} alternating runs "
          f"(AutoThrottle off, CONCURRENT_REQUESTS=8, _PER_DOMAIN=4, robots.txt obeyed) ==", flush=True)
    bare = "bare spider (benchmarks/bare_spider.py)"
    # name: (short label, command); ours read pages in a worker process (CABLE_READER_PROCESSES=1, the
    # default), and in the crawl's own process for comparison
    contenders = {
        bare: ("bare", lambda site, **kw: run_bare(site, work, **kw)),
        "cable -a mode=full (source=both, default)": ("source=both", lambda site, **kw: run_ours(
            site, work, "-a", "mode=full", **kw)),
        "cable -a mode=full -a source=html": ("source=html", lambda site, **kw: run_ours(
            site, work, "-a", "mode=full", "-a", "source=html", **kw)),
        "  the same, read in the crawl's process": ("source=html in process", lambda site, **kw: run_ours(
            site, work, "-a", "mode=full", "-a", "source=html", "-s", "CABLE_READER_PROCESSES=0", **kw)),
    }
    runs: dict[str, list[Run]] = {name: [] for name in contenders}
    timelines: dict[str, tuple[Run, dict]] = {}
    with BenchSite(grown(work / "crawl-site", articles)) as site:
        for _ in range(rounds):
            for name, (_, run) in contenders.items():
                runs[name].append(run(site))
        for name, (_, run) in contenders.items():  # one more run each, with the timeline (not timed above)
            path = work / f"timeline-{len(timelines)}.json"
            timelined = run(site, timeline=path)
            timelines[name] = (timelined, json.loads(path.read_text("utf-8")) if path.exists() else {})
    print(f"{'':44} {'median s':>9} {'articles/s':>10} {'items':>6} {'requests':>8} {'cpu s':>6}  runs (s)")
    medians, cpus = {}, {}
    for name, results in runs.items():
        median = statistics.median(r.seconds for r in results)
        cpus[name] = statistics.median(r.cpu for r in results)
        items = results[0].items
        medians[name] = (median, items)
        requests = sum(results[0].requests.values())
        print(f"{name:44} {median:9.2f} {items / median:10.1f} {items:6d} {requests:8d} {cpus[name]:6.2f}"
              f"  {fmt_runs(results)}" + ("" if all(r.rc == 0 for r in results) else f"  exit {[r.rc for r in results]}"))
    bare_s, bare_items = medians[bare]
    ratios = {}
    for name, (seconds, items) in medians.items():
        if name != bare:
            ratios[contenders[name][0]] = (items / seconds) / (bare_items / bare_s) if bare_items and seconds else 0.0
    print("throughput ratio cable/bare (articles/s): "
          + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()) + "   (goal >= 0.9)")
    print("CPU time ratio bare/cable (user + system seconds of the crawl's processes, its page reader's included;"
          " median): " + ", ".join(f"{contenders[n][0]} {cpus[bare] / c:.2f}" for n, c in cpus.items() if n != bare and c))
    print_timelines(timelines)
    return {"bare_s": bare_s, **{f"ours_{contenders[n][0]}_s": medians[n][0] for n in medians if n != bare},
            "ratios": ratios}


def print_timelines(timelines: dict[str, tuple[Run, dict]]) -> None:
    """Where each contender's time goes, from its timeline run: the process's start-up (to the
    engine's start), the wait for the first item, the pace between the 10th and the 90th
    percent of the items, and from the last item to the process's end."""
    print("where the time goes (one more run each, with benchmarks/timeline.py; seconds):")
    print(f"  {'':42} {'start-up':>8} {'1st item':>8} {'10-90% of items':>22} {'last item to exit':>17} {'wall':>6}")
    for name, (run, marks) in timelines.items():
        items = marks.get("items", [])
        if "engine_started" not in marks or len(items) < 2:
            print(f"  {name.strip():42} no timeline (exit status {run.rc}, {len(items)} items)")
            continue
        first, last = (len(items) // 10, len(items) * 9 // 10 - 1) if len(items) >= 10 else (0, len(items) - 1)
        spent = items[last] - items[first]
        pace = f"{spent:.2f} ({spent / (last - first) * 1000:.2f} ms/item)"
        print(f"  {name.strip():42} {marks['engine_started'] - run.started:8.2f} {items[0] - marks['engine_started']:8.2f}"
              f" {pace:>22} {run.ended - items[-1]:17.2f} {run.ended - run.started:6.2f}")


# ------------------------------------------------------------------------------ pages


def bench_page_list() -> list[tuple[str, bytes]]:
    """The pages read: the fixture article pages and the real 2021 FP page, last."""
    pages = []
    for path in sorted(SITE_DIR.glob("[12][0-9][0-9][0-9]/**/index.html")):
        pages.append(("https://foreignpolicy.com/" + str(path.parent.relative_to(SITE_DIR)) + "/",
                      path.read_bytes()))
    pages.append((REAL_URL, REAL_PAGE.read_bytes()))
    return pages


PAGE_ENGINES = ("lxml parse (lxml.html.fromstring)", "naive 7-field parsel read", "ours: read_article()",
                "trafilatura bare_extraction(with_metadata)", "newspaper4k (fetch_images=False)")


def page_engine(name: str, pages: list[tuple[str, bytes]]):
    """engine(i) reads page i as PAGE_ENGINES[name] does; ImportError for a peer not installed."""
    texts = [(url, body.decode("utf-8", "replace")) for url, body in pages]
    if name.startswith("lxml"):
        import lxml.html

        return lambda i: lxml.html.fromstring(pages[i][1])
    if name.startswith("naive"):
        from parsel import Selector

        def naive(i):
            url, text = texts[i]
            s = Selector(text=text)
            [s.css("h1::text").get(), s.css("h2.dek-heading::text").get(), s.css("a[rel=author]::text").getall(),
             s.css("meta[property='article:published_time']::attr(content)").get(), s.css("div.caption::text").get(),
             [p.xpath("string()").get() for p in s.css("div.post-content-main p")], url]
        return naive
    if name.startswith("ours"):
        from scrapy.http import HtmlResponse

        from cable_crawler.extraction.pages import read_article
        from cable_crawler.extraction.processors import clear_caches

        def ours(i):
            url, body = pages[i]
            read_article(HtmlResponse(url=url, body=body, encoding="utf-8"), column="The Cable")
        # Before each timed read, untimed: emptying the caches (3-8 µs) makes the read cost what a
        # page's first read costs (no texts or URLs known), and is no part of reading it.
        ours.before_each = clear_caches
        return ours
    if name.startswith("trafilatura"):
        from trafilatura import bare_extraction

        return lambda i: bare_extraction(texts[i][1], url=texts[i][0], with_metadata=True)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "nltk is not installed": only its NLP features need it
        from newspaper import Article

    def newspaper(i):
        url, text = texts[i]
        article = Article(url, fetch_images=False)
        article.download(input_html=text)  # the HTML handed over: nothing is fetched
        article.parse()
    return newspaper


def time_page_engine(name: str, rounds: int) -> list[float] | None:
    """Best of `rounds` ms per page for one engine, in this process (None: not installed)."""
    pages = bench_page_list()
    try:
        engine = page_engine(name, pages)
    except ImportError:
        return None
    best = []
    before_each = getattr(engine, "before_each", lambda: None)
    for i in range(len(pages)):
        engine(i)  # warm-up (imports, caches)
        timings = []
        for _ in range(rounds):
            before_each()
            start = time.perf_counter()
            engine(i)
            timings.append(time.perf_counter() - start)
        best.append(min(timings) * 1000)
    return best


def bench_pages(rounds: int) -> dict:
    # Each engine is timed in a process of its own: one that ran before leaves its heap behind
    # (after 200 lxml parses our read of the real page took 5 % longer; in one process, each
    # engine measured after the others, ours read the pages 10 % slower than alone).
    pages = bench_page_list()
    size = sum(len(body) for _, body in pages)
    print(f"\n== pages: {len(pages)} article pages ({size / 1024:.0f} KiB: {len(pages) - 1} fixture pages + the real"
          f" 2021 page, {len(pages[-1][1]) / 1024:.0f} KiB), best of {rounds} per page, each engine in a process"
          " of its own ==", flush=True)
    results, crawl_page, per_page, missing = {}, {}, {}, []
    # The page the crawl benchmark reads 1,000 copies of (grow_site copies fixture article A).
    crawl_index = next(i for i, (url, _) in enumerate(pages) if ARTICLE_A in url)
    for name in PAGE_ENGINES:
        output = subprocess.run([sys.executable, __file__, "--page-engine", name, "--page-rounds", str(rounds)],
                                capture_output=True, text=True, check=True).stdout
        best = json.loads(output.strip().splitlines()[-1])
        if best is None:
            missing.append(name.split(" ")[0])
            continue
        results[name] = (sum(best) / len(best), best[-1])
        crawl_page[name] = best[crawl_index]
        per_page[name] = best
    print(f"{'':44} {'ms/page (all)':>13} {'real 2021 page ms':>18}")
    for name, (mean, real) in results.items():
        print(f"{name:44} {mean:13.2f} {real:18.2f}")
    for name in missing:
        print(f"{name:44} {'not installed':>13}   (pip install -e '.[bench]')")
    print(f"the crawl benchmark's article (fixture article A, {len(pages[crawl_index][1]) / 1024:.0f} KiB, copied by"
          f" grow_site): " + ", ".join(f"{name.split(' ')[0].rstrip(':')} {ms:.2f} ms" for name, ms in crawl_page.items()))
    lxml_ms, ours_ms = results[PAGE_ENGINES[0]], results[PAGE_ENGINES[2]]
    print(f"ours / lxml parse: all pages {ours_ms[0] / lxml_ms[0]:.1f}x, real page {ours_ms[1] / lxml_ms[1]:.1f}x"
          "   (goal <= 3x)")
    goals = {"trafilatura": 5, "newspaper4k": 20}
    for peer, name in zip(goals, PAGE_ENGINES[3:]):
        if name in results:
            print(f"{peer} / ours: all pages {results[name][0] / ours_ms[0]:.1f}x, real page "
                  f"{results[name][1] / ours_ms[1]:.1f}x   (goal >= {goals[peer]}x)")
        else:
            print(f"{peer} / ours: not installed")
    print_reader_stages(pages, rounds)
    print_reader_floor(rounds, per_page[PAGE_ENGINES[0]], per_page[PAGE_ENGINES[2]])
    return results


def print_reader_stages(pages: list[tuple[str, bytes]], rounds: int) -> None:
    """Where read_article's time goes, stage by stage (median per page, mean over the pages,
    caches emptied before each read): what a faster parser or fewer queries could save."""
    from scrapy.http import HtmlResponse

    from cable_crawler.extraction.loaders import ArticleLoader
    from cable_crawler.extraction.pages.encoding import readable
    from cable_crawler.extraction.pages.layouts import LAYOUTS, PAGE_FIELDS, detect_layout
    from cable_crawler.extraction.pages.markup import page_root
    from cable_crawler.extraction.processors import clear_caches

    stages = ("encoding repair (readable)", "parse (page_root)", "layout (detect_layout)",
              "finding: the page methods", "input processors (add_value)", "output processors, derived fields")
    medians: dict[str, list[float]] = {stage: [] for stage in stages}
    for url, body in pages:
        timings: dict[str, list[float]] = {stage: [] for stage in stages}
        for _ in range(max(rounds, 3)):
            clear_caches()
            marks = [time.perf_counter()]
            response = readable(HtmlResponse(url=url, body=body, encoding="utf-8"))
            marks.append(time.perf_counter())
            root = page_root(response)
            marks.append(time.perf_counter())
            page = LAYOUTS[detect_layout(root)](response, root=root)
            marks.append(time.perf_counter())
            loader, finding, adding = ArticleLoader(), 0.0, 0.0
            for field in PAGE_FIELDS:
                start = time.perf_counter()
                values = getattr(page, field)()
                found = time.perf_counter()
                loader.add_value(field, values)
                finding, adding = finding + found - start, adding + time.perf_counter() - found
            loader.add_value("column", "The Cable")
            start = time.perf_counter()
            loader.load_item()
            spent = [b - a for a, b in zip(marks, marks[1:])] + [finding, adding, time.perf_counter() - start]
            for stage, seconds in zip(stages, spent):
                timings[stage].append(seconds)
        for stage in stages:
            medians[stage].append(statistics.median(timings[stage]) * 1000)
    means = {stage: sum(values) / len(values) for stage, values in medians.items()}
    total = sum(means.values())
    print(f"ours, stage by stage (median per page, mean over the pages; {total:.2f} ms in all):")
    for stage, ms in means.items():
        print(f"  {stage:42} {ms:6.3f} ms {ms / total * 100:5.1f} %")


FLOOR_STEPS = ("encoding repair (readable)", "parse (page_root)", "layout (detect_layout)",
               "the page methods' Lexbor queries, replayed", "the processors, fed what the page methods found")


def reader_floor(rounds: int) -> list[list[float]]:
    """Per page, the best of `rounds` ms of each of FLOOR_STEPS, each step timed alone: what
    read_article() would cost if no Python ran between the steps it cannot leave out without
    giving another item. The queries are those the page methods send through markup.elements
    and markup.select_first, recorded during one read and then asked again of the same nodes
    with nothing around them; the few that body_blocks and head_scope ask of Lexbor directly
    are left out, so the floor is if anything too low."""
    import copy

    from scrapy.http import HtmlResponse

    from cable_crawler.extraction.loaders import ArticleLoader
    from cable_crawler.extraction.pages import markup
    from cable_crawler.extraction.pages.encoding import readable
    from cable_crawler.extraction.pages.layouts import LAYOUTS, PAGE_FIELDS, base, detect_layout
    from cable_crawler.extraction.processors import clear_caches

    asked: list[tuple] = []  # (node, selector group, whether only the first element is asked for)
    elements, select_first = markup.elements, markup.select_first

    def recording_elements(node, group, alternatives=2):
        asked.append((node, group, False))
        return elements(node, group, alternatives)

    def recording_select_first(node, css):
        group, _, pseudo = markup.query_parts(css)
        if pseudo is None:  # (with a pseudo-element it asks select(), which asks elements())
            asked.append((node, group, True))
        return select_first(node, css)

    def best(step, inputs=lambda: None) -> float:
        timings = []
        for _ in range(rounds):
            clear_caches()
            given = inputs()
            start = time.perf_counter()
            step(given)
            timings.append(time.perf_counter() - start)
        return min(timings) * 1000

    floors = []
    for url, body in bench_page_list():
        response = readable(HtmlResponse(url=url, body=body, encoding="utf-8"))
        root = markup.page_root(response)
        page = LAYOUTS[detect_layout(root)](response, root=root)
        asked.clear()
        # The page methods reach Lexbor through these two names, in markup and in base (which imports them).
        for module in (markup, base):
            module.elements, module.select_first = recording_elements, recording_select_first
        try:
            found = {field: getattr(page, field)() for field in PAGE_FIELDS}
        finally:
            for module in (markup, base):
                module.elements, module.select_first = elements, select_first
        queries = list(asked)

        def replay(_):
            for node, group, only_first in queries:
                node.css_first(group) if only_first else node.css(group)

        def process(values):
            loader = ArticleLoader()
            loader.add_value(None, {**values, "column": "The Cable"})
            loader.load_item()
        floors.append([
            best(lambda _: readable(HtmlResponse(url=url, body=body, encoding="utf-8"))),
            best(lambda _: markup.page_root(response)),
            best(lambda _: detect_layout(root)),
            best(replay),
            best(process, lambda: copy.deepcopy(found)),  # (copied outside the timer: a processor may change what it is given)
        ])
    return floors


def print_reader_floor(rounds: int, lxml_pages: list[float], ours_pages: list[float]) -> None:
    """reader_floor() in a process of its own, set against the lxml parse of each page (the goal:
    a read <= 3x it); `lxml_pages`, `ours_pages`: each page's best ms, as bench_pages measured them."""
    output = subprocess.run([sys.executable, __file__, "--reader-floor", "--page-rounds", str(rounds)],
                            capture_output=True, text=True, check=True).stdout
    floors = json.loads(output.strip().splitlines()[-1])
    lxml_ms, ours_ms = sum(lxml_pages) / len(lxml_pages), sum(ours_pages) / len(ours_pages)
    means = [sum(page[i] for page in floors) / len(floors) for i in range(len(FLOOR_STEPS))]
    print("ours, its floor: the steps a read cannot leave out, each timed alone with no Python between them"
          f" (best of {rounds} per page, mean over the pages), in lxml parses:")
    for step, ms in zip(FLOOR_STEPS, means):
        print(f"  {step:50} {ms:6.3f} ms {ms / lxml_ms:5.2f}x")
    floor = sum(means)
    print(f"  {'the floor':50} {floor:6.3f} ms {floor / lxml_ms:5.2f}x   (real page {sum(floors[-1]) / lxml_pages[-1]:.2f}x;"
          f" the read itself: {ours_ms / lxml_ms:.2f}x, real page {ours_pages[-1] / lxml_pages[-1]:.2f}x; goal <= 3x)")
    print(f"  left of 3x for everything else (reading the nodes found, building the candidates): "
          f"{3 * lxml_ms - floor:.3f} ms a page; the read spends {ours_ms - floor:.3f} ms there")
    each = [sum(page) / lxml for page, lxml in zip(floors, lxml_pages)]
    print(f"  the floor of each page, in its lxml parses: {' '.join(f'{ratio:.1f}' for ratio in each)}"
          f" ({sum(ratio > 3 for ratio in each)} of {len(each)} over 3x)")


# ------------------------------------------------------------------------------ memory and the re-crawl


def bench_memory_and_recrawl(work: Path, sizes: tuple[int, int], recrawl: bool) -> None:
    small, large = sizes
    print(f"\n== memory: peak RSS of `scrapy crawl cable -a mode=full` (default source=both), "
          f"{small:,} vs {large:,} articles ==", flush=True)
    runs = {}
    for articles in (small, large):
        site_dir = grown(work / f"memory-site-{articles}", articles)
        state = work / f"memory-state-{articles}"
        with BenchSite(site_dir) as site:
            runs[articles] = run_ours(site, work, "-a", "mode=full", state=state, children_rss=True)
        run = runs[articles]
        print(f"{articles:>7,} articles: peak RSS {run.rss_mib + run.readers_rss_mib:6.0f} MiB (crawl's process"
              f" {run.rss_mib:.0f}, page reader {run.readers_rss_mib:.0f}), {run.items:,} written in {run.seconds:.1f} s"
              f" ({sum(run.requests.values()):,} requests)" + ("" if run.rc == 0 else f", exit {run.rc}"), flush=True)
    total = {n: r.rss_mib + r.readers_rss_mib for n, r in runs.items()}
    print(f"peak RSS {large:,} / {small:,} articles: {total[large] / total[small]:.2f}x (the crawl's process alone:"
          f" {runs[large].rss_mib / runs[small].rss_mib:.2f}x)   (goal <= 1.2x)")
    if not recrawl:
        return
    print(f"\n== incremental: the unchanged {large:,}-article site crawled again, with the state of its full crawl ==",
          flush=True)
    print(f"{'':34} {'index':>6} {'api':>5} {'article':>8} {'seconds':>8} {'written':>8}")
    site_dir, state = work / f"memory-site-{large}", work / f"memory-state-{large}"

    def recrawl(label: str, *args: str) -> None:
        with BenchSite(site_dir) as site:
            run = run_ours(site, work, *args, state=state)
        r = run.requests
        print(f"{label:34} {r['index']:6d} {r['api']:5d} {r['article']:8d} {run.seconds:8.2f} {run.items:8d}"
              + ("" if run.rc == 0 else f"  exit {run.rc}"), flush=True)

    recrawl("-a source=html", "-a", "source=html")
    recrawl("default (source=both)")
    print("goal (source=html): <= 2 index requests, 0 article requests, under 5 s")
    # A scheduled crawl's usual case: a few new articles on top of a large state. Each is
    # looked up in the state by URL three times (index walk, deduplication, revision).
    new = 100
    write_copies(site_dir, range(large, large + new))
    write_listing(site_dir, [*range(large, large + new), *range(large)])
    print(f"then {new} new articles on top of the index, -a source=html:")
    recrawl(f"  {new} new, {large:,} in the state", "-a", "source=html")


# ------------------------------------------------------------------------------ main


def versions() -> str:
    import lxml.etree
    import parsel
    import scrapy
    import selectolax

    return (f"Python {platform.python_version()}, Scrapy {scrapy.__version__}, parsel {parsel.__version__}, "
            f"lxml {'.'.join(map(str, lxml.etree.LXML_VERSION[:3]))}, selectolax {selectolax.__version__} (the reader's "
            f"Lexbor), {os.cpu_count()} cores, {platform.machine()}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="a smaller run: --rounds 1 --articles 200 --memory 200,2000 --page-rounds 5")
    parser.add_argument("--rounds", type=int, help="alternating crawl runs of each contender (default 3)")
    parser.add_argument("--articles", type=int, help="articles on the crawl comparison's site (default 1000)")
    parser.add_argument("--memory", help="the two crawl sizes of the memory figures, SMALL,LARGE "
                                         "(default 1000,10000); the re-crawl uses LARGE")
    parser.add_argument("--page-rounds", type=int, help="timed reads of each page per engine (default 20)")
    parser.add_argument("--only", default="crawl,pages,memory,incremental",
                        help="comma-separated sections to run (crawl, pages, memory, incremental)")
    parser.add_argument("--page-engine", choices=PAGE_ENGINES, help=argparse.SUPPRESS)  # (bench_pages' children)
    parser.add_argument("--reader-floor", action="store_true", help=argparse.SUPPRESS)  # (print_reader_floor's child)
    options = parser.parse_args(argv)
    if options.page_engine:
        print(json.dumps(time_page_engine(options.page_engine, options.page_rounds or 20)))
        return
    if options.reader_floor:
        print(json.dumps(reader_floor(options.page_rounds or 20)))
        return
    quick = options.quick
    rounds = options.rounds or (1 if quick else 3)
    articles = options.articles or (200 if quick else 1000)
    memory = tuple(int(n) for n in (options.memory or ("200,2000" if quick else "1000,10000")).split(","))
    page_rounds = options.page_rounds or (5 if quick else 20)
    sections = set(options.only.split(","))
    print(f"make bench, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {versions()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="cable-bench-"))
    try:
        if "crawl" in sections:
            bench_crawl(work, articles, rounds)
        if "pages" in sections:
            bench_pages(page_rounds)
        if "memory" in sections or "incremental" in sections:
            bench_memory_and_recrawl(work, memory, recrawl="incremental" in sections)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
