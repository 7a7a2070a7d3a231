"""Scheduled crawls: incremental runs, revisions, crash safety and resume,
against real `scrapy crawl` processes and the loopback FP site."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from conftest import REPO, crawl_command, crawl_env, scrapy_crawl
from fpsite import SITE_DIR, FPSite

SCHEMA = json.loads((REPO / "schema" / "article.schema.json").read_text("utf-8"))
ARTICLE_B = "2021/05/28/biden-budget-request-state-department-usaid-diplomacy"
ARTICLE_C = "2020/11/03/united-nations-diplomats-us-election-day"
ALL_ARTICLES = 7


def article_requests(requests: list[str]) -> list[str]:
    return [r for r in requests if r.startswith(("/20", "/posts/"))]


def index_requests(requests: list[str]) -> list[str]:
    return [r for r in requests if r.startswith("/channel/")]


@pytest.fixture
def own_site(tmp_path):
    """A private, editable copy of the fixture site."""
    root = tmp_path / "site"
    shutil.copytree(SITE_DIR, root)
    with FPSite(site_dir=root) as site:
        site.root = root
        yield site


def run(site, work: Path, *args: str, **kwargs):
    before = len(site.requests)
    result = scrapy_crawl(work / "output", f"base_url={site.url}", *args, **kwargs)
    result.requests = site.requests[before:]
    return result


def output_files(work: Path) -> list[Path]:
    return sorted((work / "output").glob("the-cable-*.jsonl"))


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def state_rows(work: Path) -> dict[str, tuple]:
    db = sqlite3.connect(work / "state" / "cable-state.sqlite3")
    try:
        return {row[0]: row[1:] for row in db.execute("SELECT id, fingerprint, revision FROM articles")}
    finally:
        db.close()


def test_second_incremental_run_over_an_unchanged_site_fetches_no_article(site, tmp_path):
    first = run(site, tmp_path)
    assert first.returncode == 0, first.log[-3000:]
    assert len(first.articles) == ALL_ARTICLES
    assert all(a["revision"] == 1 and a["previous_fingerprint"] is None for a in first.articles)
    assert len(state_rows(tmp_path)) == ALL_ARTICLES

    second = run(site, tmp_path)  # mode=incremental is the default
    assert second.returncode == 0, second.log[-3000:]
    assert len(index_requests(second.requests)) <= 2
    assert article_requests(second.requests) == []
    # -a source=both (the default): the WordPress REST API costs 2 requests a run here
    # (the channel's category, one page of up to 100 posts), neither index nor article pages.
    assert sorted(r.split("?")[0] for r in second.requests if r.startswith("/wp-json/")) == [
        "/wp-json/wp/v2/categories", "/wp-json/wp/v2/posts"]
    assert len(output_files(tmp_path)) == 1  # nothing new: no second file
    assert "holds only known, unchanged articles: stop paging" in second.log


def test_full_mode_walks_everything_but_writes_only_changes(site, tmp_path):
    run(site, tmp_path)
    again = run(site, tmp_path, "mode=full")
    assert again.returncode == 0
    assert len(index_requests(again.requests)) == 3
    assert len(article_requests(again.requests)) >= ALL_ARTICLES
    assert len(output_files(tmp_path)) == 1
    assert "new / revised / unchanged: 0 / 0 / 7" in again.log


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


def test_changed_article_comes_back_as_a_revision(own_site, tmp_path):
    first = run(own_site, tmp_path)
    before = {a["id"]: a for a in first.articles}
    b_id = "fp-1045502"

    # FP updates article B: new headline on the page and in the column index, new paragraph.
    edit(own_site.root / ARTICLE_B / "index.html", "Biden\u2019s First Budget Bets Big on Diplomacy",
         "Biden\u2019s Budget Bets Big on Diplomacy, Updated")
    edit(own_site.root / "channel/the-cable/index.html", "Biden\u2019s First Budget Bets Big on Diplomacy",
         "Biden\u2019s Budget Bets Big on Diplomacy, Updated")
    second = run(own_site, tmp_path)
    assert second.returncode == 0, second.log[-3000:]
    written = lines(output_files(tmp_path)[-1])
    assert [(a["id"], a["revision"], a["previous_fingerprint"]) for a in written] == [
        (b_id, 2, before[b_id]["fingerprint"])]
    assert written[0]["headline"] == "Biden\u2019s Budget Bets Big on Diplomacy, Updated"
    assert f"/{ARTICLE_B}/" in article_requests(second.requests)
    assert state_rows(tmp_path)[b_id] == (written[0]["fingerprint"], 2)

    # A body-only change is invisible in the index: a full run finds it.
    edit(own_site.root / ARTICLE_C / "index.html", "bracing for something", "preparing for something")
    third = run(own_site, tmp_path, "mode=full")
    written = lines(output_files(tmp_path)[-1])
    assert [(a["id"], a["revision"]) for a in written] == [("fp-1024815", 2)]
    assert written[0]["previous_fingerprint"] == before["fp-1024815"]["fingerprint"]
    assert "new / revised / unchanged: 0 / 1 / 6" in third.log


def wait_for_lines(part: Path, count: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if part.exists() and part.read_text("utf-8").count("\n") >= count:
            return
        assert process.poll() is None, "the crawl ended before it could be interrupted"
        time.sleep(0.05)
    raise AssertionError(f"{part} never reached {count} lines")


def interrupted_then_resumed(site, work: Path, how: signal.Signals, *args: str):
    """Starts a crawl, stops it with `how` after 2 articles are written, runs the same command again."""
    settings = {"CONCURRENT_REQUESTS": 1, **({"JOBDIR": str(work / "job")} if "jobdir" in args else {})}
    crawl_args = [f"base_url={site.url}", "mode=full"]
    command = crawl_command(work / "output", *crawl_args, settings=settings)
    process = subprocess.Popen(command, cwd=REPO, env=crawl_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not list((work / "output").glob("the-cable-*.jsonl.part")) and time.monotonic() < deadline:
            time.sleep(0.05)
        [part] = list((work / "output").glob("the-cable-*.jsonl.part"))
        wait_for_lines(part, 2, process)
        process.send_signal(how)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return part, scrapy_crawl(work / "output", *crawl_args, settings=settings)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["killed", "paused"])
def test_interrupted_crawl_resumes_from_jobdir_to_the_clean_result(tmp_path, how):
    with FPSite() as clean_site:
        clean = scrapy_crawl(tmp_path / "clean" / "output", f"base_url={clean_site.url}", "mode=full")
    clean_ids = sorted(a["id"] for a in clean.articles)
    assert len(clean_ids) == ALL_ARTICLES

    work = tmp_path / "resumed"
    with FPSite(article_delay=0.3) as slow_site:
        part, resumed = interrupted_then_resumed(slow_site, work, how, "jobdir")
    assert resumed.returncode == 0, resumed.log[-3000:]
    [final] = output_files(work)
    assert final.name == part.name[: -len(".part")]  # the resumed crawl finished the same file
    records = lines(final)  # every line parses: no torn line survived
    assert sorted(a["id"] for a in records) == clean_ids  # none lost, none twice
    validator = Draft202012Validator(SCHEMA)
    assert all(not list(validator.iter_errors(r)) for r in records)
    assert not list((work / "output").glob("*.part"))
    assert not (work / "job" / "requests.seen").exists()  # a finished job leaves JOBDIR empty for the next run
    assert sorted(state_rows(work)) == clean_ids


def test_killed_crawl_without_jobdir_marks_nothing_as_seen(tmp_path):
    work = tmp_path / "work"
    with FPSite(article_delay=0.3) as slow_site:
        part, rerun = interrupted_then_resumed(slow_site, work, signal.SIGKILL)
    assert part.exists() and part.read_text("utf-8").count("\n") >= 2  # whole lines kept for inspection
    assert rerun.returncode == 0
    # The killed run published nothing and recorded nothing: the next run wrote every article.
    [final] = output_files(work)
    assert len(lines(final)) == ALL_ARTICLES
    assert len(state_rows(work)) == ALL_ARTICLES


class ErrorsOnly(BaseHTTPRequestHandler):
    """A site that answers every request with HTTP 500."""

    def do_GET(self):
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("mode", ["incremental", "full"])
def test_a_site_returning_only_errors_fails_the_run_with_the_monitors_reasons(tmp_path, mode):
    server = ThreadingHTTPServer(("127.0.0.1", 0), ErrorsOnly)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        result = scrapy_crawl(tmp_path / "output", f"base_url={url}", f"mode={mode}",
                              settings={"RETRY_TIMES": 1})
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 1
    assert "monitor failed: Column index/the column index was read: the column index could not be read" in result.log
    assert "MONITORS FAILED" in result.log
    if mode == "full":
        assert "monitor failed: Articles/a full crawl reads at least one article" in result.log
    [reject] = result.rejects
    assert reject["reasons"] == ["index page: HTTP 500 (gave up after 1 retries)"]


def test_thresholds_are_settings_and_a_healthy_run_exits_zero(site, tmp_path):
    healthy = scrapy_crawl(tmp_path / "a" / "output", f"base_url={site.url}", "mode=full")
    assert healthy.returncode == 0
    assert "monitors: all passed" in healthy.log
    strict = scrapy_crawl(tmp_path / "b" / "output", f"base_url={site.url}", "mode=full",
                          settings={"CABLE_MAX_REJECTS": 1, "SPIDERMON_MAX_ERRORS": 0})
    assert strict.returncode == 1
    assert "2 rejects > CABLE_MAX_REJECTS=1 (1 x article_page_http_404, 1 x empty_body)" in strict.log
    assert "monitor failed: Error Count Monitor" in strict.log
    assert len(strict.articles) == 7  # failing checks never cost output
