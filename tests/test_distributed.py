"""Distributed crawling: several real `scrapy crawl cable` workers through a real Redis
(Debian's redis-server, installed and started on 127.0.0.1 by scripts/redis.sh; skipped, with
the reason, only where the Debian package cannot be installed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from conftest import REPO, crawl_command, crawl_env, scrapy_crawl
from fpsite import FPSite, copy_slug, free_port, grow_site

pytestmark = pytest.mark.distributed

REDIS_SH = REPO / "scripts" / "redis.sh"
ARTICLES = 90
# Short timeouts, so that the tests end in seconds (defaults: settings.py).
FAST = {"CABLE_REDIS_IDLE_TIMEOUT": 1.5, "CABLE_REDIS_WORKER_TIMEOUT": 2, "CONCURRENT_REQUESTS": 4}


class RedisServer:
    def __init__(self, run_dir: Path):
        self.env = {**os.environ, "REDIS_RUN_DIR": str(run_dir)}
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        started = subprocess.run(["bash", str(REDIS_SH), "start", str(self.port)], capture_output=True, text=True,
                                 env=self.env, timeout=60)
        assert started.returncode == 0, started.stdout + started.stderr
        return self

    def stop(self) -> None:
        subprocess.run(["bash", str(REDIS_SH), "stop"], env=self.env, timeout=60)

    def cli(self, *args: str) -> str:
        return subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True,
                              timeout=30).stdout


@pytest.fixture(scope="session")
def redis_installed():
    install = subprocess.run(["bash", str(REDIS_SH), "install"], capture_output=True, text=True, timeout=1200)
    if install.returncode == 3:
        pytest.skip(install.stderr.strip().splitlines()[-1])
    assert install.returncode == 0, install.stdout + install.stderr


@pytest.fixture
def redis_server(redis_installed, tmp_path):
    """A real redis-server on a free port of 127.0.0.1, its own directory, stopped after the test."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    root = tmp_path_factory.mktemp("grown-site")
    grow_site(root, ARTICLES)
    return root


def worker(tmp_path: Path, name: str, site, redis_url: str, output: Path, *args: str, mode: str = "full",
           **settings):
    """A worker process: `scrapy crawl cable` with CABLE_REDIS_URL, its own crawl state (one per machine)."""
    command = crawl_command(output, f"base_url={site.url}", f"mode={mode}", *(args or ["source=html"]),
                            settings={**FAST, "CABLE_REDIS_URL": redis_url, "CABLE_WORKER_ID": name,
                                      "CABLE_STATE_DIR": tmp_path / f"state-{name}", **settings})
    log = (tmp_path / f"{name}.log").open("a")
    return subprocess.Popen(command, cwd=REPO, env=crawl_env(), stdout=log, stderr=subprocess.STDOUT, text=True)


def wait_all(processes, timeout: float = 240) -> list[int]:
    deadline = time.monotonic() + timeout
    codes = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=max(deadline - time.monotonic(), 1)))
        except subprocess.TimeoutExpired:
            for p in processes:
                p.kill()
            raise
    return codes


def lines_of(paths) -> list[dict]:
    out = []
    for path in paths:
        text = path.read_text("utf-8")
        out += [json.loads(line) for line in text.split("\n")[:-1]]  # whole lines only
    return out


def copies(articles) -> Counter:
    return Counter(a["url"].rsplit("/", 2)[-2] for a in articles if "/bench-copy-" in a["url"])


def expected_copies() -> Counter:
    return Counter(copy_slug(n).rsplit("/", 1)[-1] for n in range(ARTICLES))


def test_without_redis_url_nothing_changes():
    """Distributed mode is off by default: the add-on (in ADDONS) changes no setting while
    CABLE_REDIS_URL is empty; with it, scrapy-redis's scheduler and our Redis dupefilter."""
    from scrapy.settings import Settings

    from cable_crawler import settings as project
    from cable_crawler.distributed.addon import DistributedAddon

    assert "cable_crawler.distributed.addon.DistributedAddon" in project.ADDONS
    settings = Settings()
    settings.setmodule(project, priority="project")
    before = settings.copy_to_dict()
    DistributedAddon().update_settings(settings)
    assert settings.copy_to_dict() == before
    assert settings["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"

    settings.set("CABLE_REDIS_URL", "redis://127.0.0.1:1/0", priority="cmdline")
    settings.set("CABLE_WORKER_ID", "w1", priority="cmdline")
    DistributedAddon().update_settings(settings)
    assert settings["SCHEDULER"] == "cable_crawler.distributed.scheduler.Scheduler"
    assert settings["DUPEFILTER_CLASS"] == "cable_crawler.distributed.scheduler.RedirectLoopAwareRedisDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST")
    assert settings["CABLE_JSONL_FILE"] == "{channel}-{stamp}-ww1.jsonl"
    assert settings["CABLE_REJECTS_FILE"] == "rejects-{stamp}-ww1.jsonl"
    assert any("ClaimPipeline" in str(path) for path in settings.getdict("ITEM_PIPELINES"))


def test_unreachable_redis_at_start_is_one_line_error(tmp_path, site):
    url = f"redis://:secret@127.0.0.1:{free_port()}/0"  # nothing listens there
    result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", settings={"CABLE_REDIS_URL": url})
    assert result.returncode == 2, result.log[-2000:]
    errors = [line for line in result.log.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and "Redis does not answer" in errors[0] and "Traceback" not in result.log
    assert "secret" not in result.log
    assert not list((tmp_path / "output").glob("*.jsonl*"))


def test_three_workers_write_every_article_once(tmp_path, grown, redis_server):
    output = tmp_path / "output"
    with FPSite(site_dir=grown, article_delay=0.1) as site:  # slow enough for all three to join in
        processes = [worker(tmp_path, f"w{i}", site, redis_server.url, output) for i in range(3)]
        codes = wait_all(processes)
    logs = {f"w{i}": (tmp_path / f"w{i}.log").read_text() for i in range(3)}
    assert codes == [0, 0, 0], {name: log[-3000:] for name, log in logs.items()}
    files = {name: sorted(output.glob(f"the-cable-*-w{name}.jsonl")) for name in logs}
    assert all(len(found) == 1 for found in files.values()), files
    assert not list(output.glob("*.part"))
    written = {name: lines_of(found) for name, found in files.items()}
    every = [a for lines in written.values() for a in lines]
    # Every article exactly once across the workers' files (ids, URLs and contents all unique)...
    assert copies(every) == expected_copies()
    for key in ("id", "url", "fingerprint"):
        assert len({a[key] for a in every}) == len(every), key
    # ...and each worker did part of the work.
    assert all(len(lines) > 0 for lines in written.values()), {n: len(v) for n, v in written.items()}
    # A clear end: each worker says why it ended, the last one deleted the crawl's keys.
    assert all("the queue is empty and no worker holds work" in log for log in logs.values())
    assert sum("was the last one: the crawl's keys are deleted" in log for log in logs.values()) == 1
    # Each worker's summary says its part.
    assert all(f"distributed crawl the-cable: worker {name}," in log for name, log in logs.items())
    # (the crawl state the workers share stays, for the next incremental run)
    assert sorted(redis_server.cli("keys", "cable_crawler:*").split()) == [
        "cable_crawler:the-cable:state:articles", "cable_crawler:the-cable:state:urls"]
    # One file per crawl, schema-valid, each article once.
    merged = subprocess.run([sys.executable, "-m", "cable_crawler.distributed.merge", str(output)],
                            capture_output=True, text=True, cwd=REPO, timeout=60)
    assert merged.returncode == 0, merged.stderr
    [merged_file] = output.glob("the-cable-*-merged.jsonl")
    merged_lines = lines_of([merged_file])
    assert len(merged_lines) == len(every) and copies(merged_lines) == expected_copies()
    assert f"{len(every)} articles" in merged.stdout


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_worker_loses_nothing(tmp_path, grown, redis_server, stop):
    """One of three workers is SIGKILLed mid-crawl: the requests it had taken go back to the queue
    (its heartbeat stops), the others finish; its .part file and theirs hold every article once.
    SIGTERM: the worker leaves the crawl (its output published, exit 1: it did not finish), the
    others finish it."""
    output = tmp_path / "output"
    with FPSite(site_dir=grown, article_delay=0.3) as site:
        # The victim first, until it has written a few articles; then the two others, until both
        # have joined; then the SIGKILL, mid-crawl (the victim alone would need ~7 s more).
        victim = worker(tmp_path, "w0", site, redis_server.url, output)
        deadline = time.monotonic() + 120
        part = None
        while time.monotonic() < deadline:
            found = list(output.glob("the-cable-*-ww0.jsonl.part"))
            if found and found[0].read_text("utf-8").count("\n") >= 5:
                part = found[0]
                break
            time.sleep(0.05)
        assert part is not None, (tmp_path / "w0.log").read_text()[-3000:]
        processes = [victim] + [worker(tmp_path, f"w{i}", site, redis_server.url, output) for i in (1, 2)]
        while time.monotonic() < deadline and not all(
                "joins" in (tmp_path / f"w{i}.log").read_text() for i in (1, 2)):
            time.sleep(0.05)
        assert victim.poll() is None, "the victim finished before the others joined"
        victim.send_signal(stop)
        assert victim.wait(timeout=60) == (-9 if stop == signal.SIGKILL else 1)
        codes = wait_all(processes[1:])
        logs = {f"w{i}": (tmp_path / f"w{i}.log").read_text() for i in range(3)}
        assert codes == [0, 0], {name: log[-3000:] for name, log in logs.items()}
        # Then an incremental distributed run (two workers, new ones) fetches no article page: every
        # article is in the crawl state the workers share, the killed worker's too.
        fetched_before = len(site.requests)
        again = [worker(tmp_path, f"v{i}", site, redis_server.url, tmp_path / "again", mode="incremental")
                 for i in range(2)]
        assert wait_all(again) == [0, 0], (tmp_path / "v0.log").read_text()[-3000:]
        fetched_again = site.requests[fetched_before:]
    assert fetched_again and not [path for path in fetched_again if "/bench-copy-" in path], fetched_again
    assert not list((tmp_path / "again").glob("the-cable-*.jsonl"))
    assert any("worker w0 stopped beating" in logs[name] for name in ("w1", "w2")), logs["w1"][-3000:]
    if stop == signal.SIGTERM:
        assert "stopped (shutdown): the queue, the dupefilter and its requests in flight stay" in logs["w0"]
        part = next(output.glob("the-cable-*-ww0.jsonl"))  # published by the worker as it left
    files = sorted(output.glob("the-cable-*-ww[12].jsonl")) + [part]
    every = lines_of(files)
    survivors = lines_of(sorted(output.glob("the-cable-*-ww[12].jsonl")))
    # Every article is written; the survivors' files hold each once. A SIGKILL between the
    # victim's writing a line and recording its claim as written leaves that claim pending: it is
    # recovered, and the article is written again by a survivor (at least once, never lost): the
    # line the victim was writing when killed. The merge keeps one of each.
    assert set(copies(every)) == set(expected_copies())
    assert max(copies(survivors).values()) == 1
    twice = [name for name, n in copies(every).items() if n > 1]
    assert len(twice) <= (0 if stop == signal.SIGTERM else 2), twice
    for key in ("id", "url", "fingerprint"):
        assert len({a[key] for a in survivors}) == len(survivors), key
    assert len(lines_of([part])) >= 5
    merged = subprocess.run([sys.executable, "-m", "cable_crawler.distributed.merge", str(output)],
                            capture_output=True, text=True, cwd=REPO, timeout=60)
    assert merged.returncode == 0, merged.stderr
    assert ("1 unpublished .part file(s) of stopped workers" in merged.stdout) == (stop == signal.SIGKILL)
    [merged_file] = output.glob("the-cable-*-merged.jsonl")
    assert copies(lines_of([merged_file])) == expected_copies()


def test_redis_lost_mid_crawl(tmp_path, grown, redis_server):
    """Redis goes away while two workers crawl: each says so in one error line and exits 1; what they
    published holds whole, schema-valid lines, no article twice."""
    output = tmp_path / "output"
    with FPSite(site_dir=grown, article_delay=0.05) as site:
        processes = [worker(tmp_path, f"w{i}", site, redis_server.url, output) for i in range(2)]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if sum(p.read_text("utf-8").count("\n") for p in output.glob("*.jsonl.part")) >= 10:
                break
            time.sleep(0.05)
        redis_server.stop()
        codes = wait_all(processes, timeout=120)
    logs = {f"w{i}": (tmp_path / f"w{i}.log").read_text() for i in range(2)}
    assert codes == [1, 1], {name: log[-3000:] for name, log in logs.items()}
    for log in logs.values():
        lost = [line for line in log.splitlines() if "cannot be reached" in line]
        assert len(lost) == 1 and "ERROR" in lost[0], log[-3000:]
        assert "Traceback" not in log.split("[Spidermon]")[0]  # no crash (the monitors' report follows)
        assert "finish_reason': 'redis_lost'" in log
    every = lines_of(sorted(output.glob("the-cable-*.jsonl")))
    assert 0 < len(every) < ARTICLES
    from cable_crawler.extraction.validation import problems
    assert not [a["url"] for a in every if problems(a)]
    for key in ("id", "url", "fingerprint"):
        assert len({a[key] for a in every}) == len(every), key


def test_claims_are_atomic_and_a_dead_workers_work_goes_back(redis_server):
    """Against the real Redis: of many workers claiming one article at once exactly one gets it;
    a claim not yet written by a worker that stopped beating is dropped and its requests in flight
    go back to the queue, while what it wrote stays claimed."""
    from concurrent.futures import ThreadPoolExecutor

    import redis
    from scrapy.utils.test import get_crawler

    from cable_crawler.distributed.coordinator import DistributedCrawl
    from cable_crawler.distributed.keys import CrawlKeys

    server = redis.Redis.from_url(redis_server.url)
    keys = CrawlKeys("claims-test")

    def coordinator(name: str) -> DistributedCrawl:
        node = DistributedCrawl(get_crawler(settings_dict={"CABLE_REDIS_URL": redis_server.url,
                                                           "CABLE_WORKER_ID": name}))
        node.server, node.keys = redis.Redis.from_url(redis_server.url), keys
        return node

    article = ["id:fp-1", "url:http://127.0.0.1/a/", "fingerprint:f1"]
    nodes = [coordinator(f"n{i}") for i in range(12)]
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda node: node.claim(article), nodes))
    assert results.count(None) == 1
    winner = nodes[results.index(None)].worker
    assert {owner for owner in results if owner} == {("id:fp-1", f"pending:{winner}")}
    # Same URL, another id and content: still that worker's article (the URL is claimed).
    assert nodes[0].claim(["id:fp-9", "url:http://127.0.0.1/a/", "fingerprint:f9"])[1] == f"pending:{winner}"

    a, b = coordinator("a"), coordinator("b")
    written = ["id:fp-2", "url:http://127.0.0.1/b/", "fingerprint:f2"]
    pending = ["id:fp-3", "url:http://127.0.0.1/c/", "fingerprint:f3"]
    assert a.claim(written) is None
    a.claimed_written(written)
    assert a.claim(pending) is None
    server.sadd(keys.workers, "a", "b")
    server.hset(keys.inflight("a"), mapping={"t1": "-1 REQUEST-ONE", "t2": "0 REQUEST-TWO"})
    server.set(keys.alive("a"), "busy", px=200)
    assert b.recover() == 0  # still beating
    time.sleep(0.3)
    assert b.recover() == 2 and b.recover() == 0  # once
    assert server.zrange(keys.requests, 0, -1, withscores=True) == [(b"REQUEST-ONE", -1.0), (b"REQUEST-TWO", 0.0)]
    assert not server.exists(keys.inflight("a")) and not server.sismember(keys.workers, "a")
    assert b.claim(pending) is None          # the dead worker's unwritten claim was dropped
    assert b.claim(written) == ("id:fp-2", "a")  # what it wrote stays its own
    # A worker taken for dead that writes after all never takes over the claim another worker made since.
    c = coordinator("c")
    assert c.claim(pending) == ("id:fp-3", "pending:b")
    a.claimed_written(pending)
    assert c.claim(pending) == ("id:fp-3", "pending:b")
    assert a.crawler.stats.get_value("cable/distributed/claims_lost") == 1


def test_workers_write_what_one_process_writes(tmp_path, redis_server):
    """The fixture site with the WordPress API (source=both): two workers write the same articles,
    field for field, as one process, though only one of them reads the API's list (its posts are
    shared through Redis for the cross-check: true UTC dates on every worker's articles)."""
    output = tmp_path / "output"
    # Slow pages, so that both workers take some even when one starts a second or two late (a busy machine).
    # The site carries one article under two URLs (its repost, -2/): whichever page is read first is
    # written and the other is its duplicate, in one process as across workers. The repost comes
    # last (once failed in CI: a worker read it first), so both runs keep the same one.
    repost = "/2020/11/03/united-nations-diplomats-us-election-day-2/"
    with FPSite(article_delay=1.0, path_delays={repost: 5.0}) as site:
        single = scrapy_crawl(tmp_path / "single", f"base_url={site.url}", "mode=full")
        assert single.returncode == 0, single.log[-3000:]
        processes = [worker(tmp_path, f"w{i}", site, redis_server.url, output, "source=both",
                            CONCURRENT_REQUESTS=2) for i in range(2)]
        codes = wait_all(processes)
    assert codes == [0, 0], (tmp_path / "w0.log").read_text()[-3000:]
    assert all(lines_of(output.glob(f"the-cable-*-ww{i}.jsonl")) for i in range(2))

    def records(articles):
        return sorted(({k: v for k, v in a.items() if k != "crawled_at"} for a in articles), key=lambda a: a["id"])

    assert len(single.articles) > 5
    assert records(lines_of(sorted(output.glob("the-cable-*.jsonl")))) == records(single.articles)
