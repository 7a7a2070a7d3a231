"""Reading article pages in worker processes (crawl/page_reader.py): the same items as in the
crawl's process, and no page lost or hung when a worker stalls, crashes or cannot start.

The scenarios with real workers run under Scrapy's reactor in tests/reader_driver.py (a
reactor runs once per process); the crawls are real `scrapy crawl` runs on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.test import get_crawler
from scrapy import Spider

from conftest import REPO, crawl_command, crawl_env, scrapy_crawl
from fpsite import FPSite
from pagesite import PageSite

from cable_crawler.crawl import page_reader
from cable_crawler.crawl.page_reader import CrawlPages, PageJob, PageReader

DRIVER = Path(__file__).resolve().parent / "reader_driver.py"
HANG_GUARD = 120


def drive(scenario: str) -> dict:
    done = subprocess.run([sys.executable, str(DRIVER), scenario], cwd=REPO, capture_output=True, text=True,
                          timeout=HANG_GUARD)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]  # nothing failed unseen in the reactor
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ parts


@pytest.mark.parametrize("added, order", [
    (["a", "b", "c"], ["a", "b", "c"]),
    (["a", "b", "a", "c", "b"], ["a", "b", "c"]),  # a URL added again keeps its first place
    ([], []),
])
def test_crawl_pages_is_a_set_that_remembers_the_order_urls_came_in(added, order):
    pages = CrawlPages()
    for url in added:
        pages.add(url)
    assert pages == set(order) and pages.added == order


@pytest.mark.parametrize("body, headers, encoding", [
    ("<html><head><meta charset='utf-8'></head><body>Café – “x”</body></html>".encode(), {}, None),
    ("<html><body>Café</body></html>".encode("cp1252"), {"Content-Type": "text/html; charset=utf-8"}, None),
    ("<html><body>Café</body></html>".encode(), {"Content-Type": "text/html; charset=iso-8859-1"}, None),
    ("<html><body>Café</body></html>".encode("utf-16"), {"Content-Type": "text/html; charset=utf-16"}, None),
    ("<html><body>Café</body></html>".encode("cp1252"), {}, "cp1252"),  # set by a middleware
])
def test_a_page_job_rebuilds_the_response_the_crawl_got(body, headers, encoding):
    response = HtmlResponse("https://foreignpolicy.com/2021/06/02/a/", status=203, headers=headers, body=body,
                            encoding=encoding)
    job = PageJob.of(response, "The Cable", None, 10.0, False)
    rebuilt = PageJob.of(response, "The Cable", None, 10.0, False).response()
    assert (rebuilt.url, rebuilt.status, rebuilt.body) == (response.url, response.status, response.body)
    assert rebuilt.encoding == response.encoding and rebuilt.text == response.text
    assert rebuilt.headers == response.headers and job.new_pages == []


def test_without_the_extension_pages_are_read_in_the_calling_process():
    crawler = get_crawler(Spider)  # no crawl: no extensions
    reader = PageReader.of(crawler)
    assert reader.processes == 0 and reader.workers == []


def test_a_response_that_is_not_plain_html_is_read_in_the_calling_process():
    # Splash's responses are TextResponse subclasses: read here, with no worker started.
    reader = PageReader(get_crawler(Spider), processes=1)
    response = TextResponse("https://foreignpolicy.com/2021/06/02/a/", body=b"<html><body><h1>A</h1></body></html>",
                            encoding="utf-8")
    read = reader.read(response, "The Cable", None, CrawlPages(), 10.0, False)
    assert read.error is None and read.item is not None and reader.workers == []


@pytest.mark.parametrize("value", [-1, -8])
def test_a_negative_number_of_reader_processes_is_a_clear_error(value):
    with pytest.raises(ValueError, match="CABLE_READER_PROCESSES must be 0"):
        PageReader.from_crawler(get_crawler(Spider, {"CABLE_READER_PROCESSES": value}))


# ------------------------------------------------------------------------------ real workers


def test_workers_read_every_saved_and_fixture_page_as_the_crawls_process_does():
    result = drive("same_items")
    assert result["pages"] >= 30 and result["same"], result["differ"]
    assert result["stats"] == {"cable/reader/workers_started": 2, "cable/reader/pages_in_worker": result["pages"]}
    assert result["alive_after_close"] == []


def test_until_the_worker_is_ready_ordinary_pages_are_read_here_and_large_ones_wait_for_it():
    result = drive("early_pages")
    assert result["read_at_once"] == 3 and result["ready_when_handed"] is False
    assert result["same_as_here"]
    assert result["stats"] == {"cable/reader/workers_started": 1, "cable/reader/pages_read_before_worker_ready": 3,
                               "cable/reader/pages_in_worker": 3}  # the large page and the two after ready
    assert result["alive_after_close"] == []


def test_a_stalled_worker_is_killed_its_page_abandoned_and_the_next_page_read_by_a_new_one():
    result = drive("stalled_worker")
    stalled, next_page = result["answers"]
    # limit 0.5 s + the grace the driver sets (0.3 s): no page waits on a hung worker for ever
    assert stalled == {"abandoned": "parse took longer than 0.8 s", "by_shutdown": False, "error": None,
                       "retry": False}
    assert next_page["item"]["headline"]
    assert 0.8 < result["seconds"] < 0.8 + 2 + 5  # the watchdog's period, a new worker's start
    assert result["stats"]["cable/reader/workers_stopped"] == 1
    assert result["stats"]["cable/reader/workers_started"] == 2
    assert result["alive_after_close"] == []


def test_a_crashed_worker_fails_its_page_for_a_later_run_then_the_crawl_reads_pages_itself():
    result = drive("crashing_worker")
    assert len(result["answers"]) == page_reader.READER_RESTARTS
    for crashed, resent in result["answers"]:
        assert crashed["error"].startswith("page reader process ended: ") and crashed["retry"] is True
        assert resent["item"]["headline"]  # the page that waited behind it: read by the next reader
    assert result["processes_after"] == 0
    assert result["stats"]["cable/reader/in_process_fallback"] == 1
    assert result["stats"]["cable/reader/workers_crashed"] == page_reader.READER_RESTARTS
    assert result["alive_after_close"] == []


def test_a_worker_that_cannot_start_leaves_the_pages_to_the_crawls_process():
    result = drive("worker_cannot_start")
    assert result["same_as_here"] and result["processes_after"] == 0
    assert result["stats"] == {"cable/reader/workers_started": 1, "cable/reader/in_process_fallback": 1}


def test_a_worker_knows_the_crawls_pages_as_they_were_when_each_page_was_handed_over():
    result = drive("canonical_claims")
    assert result["urls"] == [result["canonical"], result["copy"]]
    assert result["ignored"] == [None, [result["canonical"], "another page of this crawl"]]
    assert result["after_same_as_here"]


def test_a_worker_holds_a_few_pages_the_rest_wait_and_all_are_answered_in_order():
    result = drive("pages_ahead")
    assert (result["held"], result["queued"]) == (result["ahead"], 20 - result["ahead"])
    assert result["urls_in_order"] is True, result["urls_in_order"]
    assert result["stats"]["cable/reader/pages_in_worker"] == 20 and result["alive_after_close"] == []


def test_pages_still_waiting_when_the_crawl_closes_are_answered_unread_for_a_later_run():
    result = drive("closed_while_reading")
    assert result["answers"] == [{"abandoned": "crawl closed before the page was read", "by_shutdown": True,
                                  "error": None, "retry": False}] * 6
    assert "cable/reader/pages_in_worker" not in result["stats"] and result["alive_after_close"] == []


# ------------------------------------------------------------------------------ crawls


RUN_TIMES = ("crawled_at", "rejected_at")  # when this run wrote a record


def comparable(records: list[dict]) -> list[str]:
    def without_run_times(value):
        if isinstance(value, dict):
            return {k: without_run_times(v) for k, v in value.items() if k not in RUN_TIMES}
        return value
    return sorted(json.dumps(without_run_times(r), sort_keys=True) for r in records)


def test_a_crawl_writes_the_same_articles_and_rejects_with_or_without_workers(tmp_path):
    # Article pages answered 1 s late: the worker is ready (~0.25 s) before the first one comes,
    # so it reads them all (on time, the first few would be read here while it starts).
    with FPSite(article_delay=1.0) as site:
        results = {n: scrapy_crawl(tmp_path / f"{n}" / "output", f"base_url={site.url}", "mode=full",
                                   settings={"CABLE_READER_PROCESSES": n}) for n in (0, 1)}
    assert results[0].articles and comparable(results[0].articles) == comparable(results[1].articles)
    assert comparable(results[0].rejects) == comparable(results[1].rejects)
    assert "'cable/reader/pages_in_worker'" in results[1].log
    assert "pages_read_before_worker_ready" not in results[1].log
    assert "'cable/reader/pages_in_worker'" not in results[0].log
    assert results[0].returncode == results[1].returncode


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().split(")")[-1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_worker_busy_with_a_page_ends_with_the_crawls_process(tmp_path):
    # The worker reads a page for minutes; the crawl's process is killed (SIGKILL: no cleanup).
    from test_hostile_pages import article_html, html_page, page_path, slow_paragraphs

    pages = {page_path(5): html_page(article_html(5, body=slow_paragraphs(2_500_000, count=8)))}
    with PageSite(pages) as site:
        command = crawl_command(tmp_path / "output", f"base_url={site.url}", f"urls={site.url}{page_path(5)}",
                                settings={"CABLE_MAX_PARSE_SECONDS": 600, "DOWNLOAD_MAXSIZE": 64 * 1024 * 1024})
        crawl = subprocess.Popen(command, cwd=REPO, env=crawl_env(), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + HANG_GUARD
            while not site.served and time.monotonic() < deadline and crawl.poll() is None:
                time.sleep(0.1)
            time.sleep(3)  # the worker is reading the page
            [worker] = children(crawl.pid)
            crawl.send_signal(signal.SIGKILL)
            crawl.wait()
            deadline = time.monotonic() + 10
            while os.path.exists(f"/proc/{worker}") and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not os.path.exists(f"/proc/{worker}")
        finally:
            if crawl.poll() is None:
                crawl.kill()
                crawl.wait()


def test_a_crawl_that_requests_no_article_starts_no_worker(site, tmp_path):
    # A scheduled re-crawl that finds nothing new: the first run's state knows every article.
    first = scrapy_crawl(tmp_path / "output", f"base_url={site.url}")
    again = scrapy_crawl(tmp_path / "output", f"base_url={site.url}")
    assert "'cable/reader/workers_started': 1" in first.log
    assert "known index entries not fetched: 4" in again.log and "articles written: 0" in again.log
    assert "cable/reader/" not in again.log, again.log[-3000:]
