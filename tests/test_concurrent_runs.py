"""Two runs at once, a full disk, settings that would destroy output: real
`scrapy crawl` processes against the loopback FP site. A crawl either writes
every article exactly once into a published file, or fails loudly (one line,
non-zero exit); it never loses or overwrites output silently."""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import sqlite3
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest


from cable_crawler.incremental.component import IncrementalCrawl
from cable_crawler.incremental.jsonlines import AtomicJsonLinesFile
from cable_crawler.incremental.outputs import OutputPathError, file_name
from cable_crawler.pipelines import JsonLinesWriterPipeline
from conftest import REPO, crawl_command, crawl_env, scrapy_crawl
from fpsite import FPSite, grow_site
from test_pipelines import article

pytestmark = pytest.mark.reliability

TIMEOUT = 240  # hang guard for one crawl process


@pytest.fixture
def grown(tmp_path):
    """A site of 30 distinct articles (2 index pages); the articles answer slowly
    (0.1 s) so that a crawl is still running when a second one starts."""
    root = tmp_path / "site"
    grow_site(root, articles=30)
    with FPSite(site_dir=root, article_delay=0.1) as site:
        yield site


def start(output_dir: Path, site, *args: str, settings: dict | None = None, **popen) -> subprocess.Popen:
    command = crawl_command(output_dir, f"base_url={site.url}", "mode=full", *args, settings=settings)
    return subprocess.Popen(command, cwd=REPO, env=crawl_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, **popen)


def finish(process: subprocess.Popen) -> tuple[int, str]:
    try:
        log, _ = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, log


def published(output_dir: Path) -> dict[Path, list[dict]]:
    return {path: [json.loads(line) for line in path.read_text("utf-8").splitlines()]
            for path in sorted(output_dir.glob("the-cable-*.jsonl"))}


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "error:" in line]


def assert_one_line_refusal(returncode: int, log: str, *expected: str) -> None:
    assert returncode == 2, log[-3000:]
    [line] = error_lines(log)
    assert all(text in line for text in expected), line
    assert "Traceback" not in log


def wait_until(condition, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the crawl ended before {what}"
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


# -- two runs at once ---------------------------------------------------------------------------------------

def test_two_crawls_started_together_on_the_same_state_one_refuses_the_other_writes_everything_once(grown, tmp_path):
    output = tmp_path / "output"  # crawl_command keeps the state beside it: same output and state dirs
    results = sorted(finish(run) for run in [start(output, grown), start(output, grown)])
    [(winner_code, winner_log), (loser_code, loser_log)] = results
    assert winner_code == 0, winner_log[-3000:]
    assert_one_line_refusal(loser_code, loser_log, "in use by another crawl", "cable-state.sqlite3.lock")
    assert grown.requests.count("/robots.txt") == 1  # the refused crawl sent no request at all
    [records] = published(output).values()
    assert len(records) == 30 and max(Counter(r["id"] for r in records).values()) == 1
    assert not list(output.glob("*.part"))


def test_two_crawls_sharing_only_the_output_dir_write_separate_files(grown, tmp_path):
    # Allowed: separate states are separate crawls. Started in the same second they get the
    # same time stamp: each must still write a file of its own, never one shared .part.
    output = tmp_path / "output"
    runs = [start(output, grown, settings={"CABLE_STATE_DIR": tmp_path / name}) for name in ("state-a", "state-b")]
    results = [finish(run) for run in runs]
    assert [code for code, _ in results] == [0, 0], results[0][1][-2000:] + results[1][1][-2000:]
    files = published(output)
    assert len(files) == 2
    for records in files.values():
        assert len(records) == 30 and max(Counter(r["id"] for r in records).values()) == 1
    assert not list(output.glob("*.part"))


def test_same_jobdir_while_the_first_run_is_live_is_refused_and_the_first_completes(tmp_path):
    grow_site(tmp_path / "site", articles=30)
    job = tmp_path / "job"
    first_output, second_output = tmp_path / "a" / "output", tmp_path / "b" / "output"
    with FPSite(site_dir=tmp_path / "site", article_delay=0.5) as slow_site:  # the first run takes 15 s or more
        first = start(first_output, slow_site, settings={"JOBDIR": job, "CONCURRENT_REQUESTS": 1})
        try:
            wait_until(lambda: list(first_output.glob("*.part")), first, "the first crawl wrote an article")
            second = start(second_output, slow_site, settings={"JOBDIR": job})
            assert_one_line_refusal(*finish(second), f"JOBDIR={str(job)!r}", "in use by another crawl")
            assert first.poll() is None  # refused while the first one was running
        finally:
            returncode, log = finish(first)
    assert returncode == 0, log[-3000:]
    assert "was killed" not in log
    [records] = published(first_output).values()
    assert len(records) == 30 and max(Counter(r["id"] for r in records).values()) == 1
    assert not second_output.exists() or not list(second_output.iterdir())


def test_a_killed_run_is_still_recognised_as_killed_and_resumed(grown, tmp_path):
    job, output = tmp_path / "job", tmp_path / "output"
    first = start(output, grown, settings={"JOBDIR": job, "CONCURRENT_REQUESTS": 1})
    try:
        wait_until(lambda: any(p.read_text("utf-8").count("\n") >= 2 for p in output.glob("*.part")),
                   first, "two articles were written")
        first.send_signal(signal.SIGKILL)
    finally:
        finish(first)
    returncode, log = finish(start(output, grown, settings={"JOBDIR": job}))
    assert returncode == 0, log[-3000:]
    assert "was killed: discarding its request queue" in log
    [records] = published(output).values()
    assert len(records) == 30 and max(Counter(r["id"] for r in records).values()) == 1


# -- settings that would destroy output ---------------------------------------------------------------------

@pytest.mark.parametrize("setting, value, message", [
    ("CABLE_JSONL_FILE", "articles.jsonl", "must contain {stamp}"),
    ("CABLE_JSONL_FILE", "{stamp.__class__}.jsonl", "only {stamp} can be used"),
    ("CABLE_JSONL_FILE", "x-{0}-{stamp}.jsonl", "only {stamp} can be used"),
    ("CABLE_JSONL_FILE", "x-{stamp!r}.jsonl", "only {stamp} can be used"),
    ("CABLE_JSONL_FILE", "x-{stamp:>40}.jsonl", "only {stamp} can be used"),
    ("CABLE_JSONL_FILE", "a\n{stamp}.jsonl", "must be a plain file name"),
    ("CABLE_JSONL_FILE", ".x-{stamp}", "must be a plain file name"),
    ("CABLE_REJECTS_FILE", ".x-{stamp}", "must be a plain file name"),
    ("CABLE_REJECTS_FILE", "rejects.jsonl", "must contain {stamp}"),
    ("CABLE_OUTPUT_DIR", "", "must not be empty"),
], ids=["no-stamp", "attribute", "positional", "conversion", "format-spec", "newline", "hidden",
        "hidden-rejects", "no-stamp-rejects", "empty-output-dir"])
def test_settings_that_could_replace_or_hide_output_are_refused_before_any_request(tmp_path, setting, value,
                                                                                   message):
    with FPSite() as site:
        result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", settings={setting: value},
                              timeout=TIMEOUT)
        assert site.requests == []
    assert_one_line_refusal(result.returncode, result.log, f"{setting}=", message)
    assert not list(tmp_path.glob("**/*.jsonl*")) and not list(REPO.glob("*.jsonl*"))


def test_a_corrupt_state_database_is_one_line_and_exit_2_before_any_request(tmp_path):
    state = tmp_path / "state" / "cable-state.sqlite3"
    state.parent.mkdir()
    state.write_bytes(b"this is not a database\n" * 400)
    with FPSite() as site:
        result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", timeout=TIMEOUT)
        assert site.requests == []
    assert_one_line_refusal(result.returncode, result.log, str(state), "not a usable crawl state")
    assert state.read_bytes() == b"this is not a database\n" * 400  # left as it was, for the operator


def test_a_crawl_that_cannot_start_fails_with_scrapys_error_only(tmp_path):
    # Scrapy fails before the crawler has stats; the command must not add a traceback of its own.
    result = scrapy_crawl(tmp_path / "output", "base_url=http://127.0.0.1:9",
                          settings={"STATS_CLASS": "no_such_module.Stats"}, timeout=TIMEOUT)
    assert result.returncode == 1
    assert crashes(result.log) == ["ModuleNotFoundError: No module named 'no_such_module'"]
    assert "is not set yet" not in result.log


@pytest.mark.parametrize("template, expected", [
    ("the-cable-{stamp}.jsonl", "the-cable-S.jsonl"),
    ("{{literal}}-{stamp}", "{literal}-S"),
    ("articles.jsonl", OutputPathError),   # the same name every run
    ("{{stamp}}.jsonl", OutputPathError),  # braces, not the field
    ("{stamp.__class__}", OutputPathError),
    ("{stamp[0]}-x", OutputPathError),
    ("{0}-{stamp}", OutputPathError),
    ("{}-{stamp}", OutputPathError),
    ("{stamp!s}", OutputPathError),
    ("{stamp:>40}", OutputPathError),
    ("{stamp", OutputPathError),
    ("a\n{stamp}", OutputPathError),
    ("a\r{stamp}", OutputPathError),
    ("x-{stamp}\t", OutputPathError),
    (" x-{stamp}", OutputPathError),
    (".x-{stamp}", OutputPathError),
    ("..{stamp}", OutputPathError),
    ("a/{stamp}", OutputPathError),
    ("a\\{stamp}", OutputPathError),
    ("a\x00{stamp}", OutputPathError),
])
def test_file_name_templates(template, expected):
    if expected is OutputPathError:
        with pytest.raises(OutputPathError):
            file_name("CABLE_JSONL_FILE", template, "S")
    else:
        assert file_name("CABLE_JSONL_FILE", template, "S") == expected


# -- no-clobber publishing ----------------------------------------------------------------------------------

def test_publishing_never_replaces_an_existing_file(tmp_path):
    existing = tmp_path / "x.jsonl"
    existing.write_text('{"earlier":1}\n')
    out = AtomicJsonLinesFile(existing).claim()
    out.write({"n": 1})
    path = out.close()
    assert path == tmp_path / "x_002.jsonl"
    assert existing.read_text() == '{"earlier":1}\n'
    assert path.read_text() == '{"n":1}\n' and not list(tmp_path.glob("*.part"))


def test_publishing_onto_a_name_taken_meanwhile_picks_the_next_free_name(tmp_path):
    out = AtomicJsonLinesFile(tmp_path / "x.jsonl").claim()
    out.write({"n": 1})
    (tmp_path / "x.jsonl").write_text("someone else's\n")  # appeared after the claim
    assert out.close() == tmp_path / "x_002.jsonl"
    assert (tmp_path / "x.jsonl").read_text() == "someone else's\n"


def test_a_new_file_never_shares_a_part_file_with_another_writer(tmp_path):
    first = AtomicJsonLinesFile(tmp_path / "x.jsonl").claim()
    second = AtomicJsonLinesFile(tmp_path / "x.jsonl").claim()
    first.write({"n": 1})
    second.write({"n": 2})
    assert {first.close().name, second.close().name} == {"x.jsonl", "x_002.jsonl"}
    assert sorted(p.read_text() for p in tmp_path.glob("*.jsonl")) == ['{"n":1}\n', '{"n":2}\n']



def test_names_of_files_claimed_in_one_second_sort_in_the_order_they_were_claimed(tmp_path):
    """Consumers and schedulers read the newest file as the last in name order."""
    claimed = []
    for n in range(12):
        out = AtomicJsonLinesFile(tmp_path / "the-cable-2026-11-27T13-53-49Z.jsonl").claim()
        out.write({"n": n})
        claimed.append(out.close().name)
    assert len(set(claimed)) == 12
    assert sorted(claimed) == claimed

# -- a full disk --------------------------------------------------------------------------------------------

@pytest.fixture
def tiny_disk():
    """A 64 KiB tmpfs: the output of a 30-article crawl (about 200 KiB) cannot fit."""
    mountpoint = Path(tempfile.mkdtemp(prefix="cable-full-disk-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mountpoint)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        mountpoint.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=False)
        mountpoint.rmdir()


def limit_file_size():
    # write() past the limit then fails with EFBIG instead of killing the process (SIGXFSZ).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def crashes(log: str) -> list[str]:
    """The exceptions of the tracebacks in a log, except the failed checks Spidermon's report prints."""
    ends = [next(line for line in chunk.splitlines() if line and not line.startswith(" "))
            for chunk in log.split("Traceback (most recent call last):\n")[1:]]
    return [end for end in ends if not end.startswith("AssertionError: ")]


def assert_stopped_and_not_published(returncode: int, log: str, output: Path, state_dir: Path) -> None:
    assert returncode == 1, log[-3000:]
    assert crashes(log) == []
    assert "(output_write_failed)" in log  # the crawl stopped, and says why
    assert "output write failed" in log and "not published" in log
    assert "monitor failed: Output/the output file was published" in log
    assert "monitors: all passed" not in log
    assert published(output) == {}
    database = state_dir / "cable-state.sqlite3"
    rows = sqlite3.connect(database).execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    assert rows == 0  # nothing recorded as written: the next run writes them all


def test_a_full_disk_stops_the_crawl_and_fails_the_run(grown, tmp_path, tiny_disk):
    output = tiny_disk / "output"
    returncode, log = finish(start(output, grown, settings={"CABLE_STATE_DIR": tmp_path / "state"}))
    assert "No space left on device" in log
    assert_stopped_and_not_published(returncode, log, output, tmp_path / "state")


def test_a_file_size_limit_stops_the_crawl_and_fails_the_run(grown, tmp_path):
    output = tmp_path / "output"
    # The limit is per file: the state database stays far below it, the output goes over.
    returncode, log = finish(start(output, grown, preexec_fn=limit_file_size))
    assert "File too large" in log
    assert_stopped_and_not_published(returncode, log, output, tmp_path / "state")


def failing(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))
    return fail


def test_a_rejects_file_that_cannot_be_written_fails_the_crawl_and_is_not_published(crawler, tmp_path,
                                                                                   monkeypatch):
    monkeypatch.setattr(AtomicJsonLinesFile, "write", failing(errno.ENOSPC))
    store = IncrementalCrawl.of(crawler).rejects
    store.add("http://127.0.0.1/a/", "page_failure", ["article page: HTTP 404"])
    store.add("http://127.0.0.1/b/", "page_failure", ["article page: HTTP 404"])
    stats = crawler.stats
    assert stats.get_value("cable/rejects") == 2  # still counted, and in the summary
    assert stats.get_value("cable/output_failed").startswith("cannot write the rejects file: ")
    assert stats.get_value("cable/output_failed").endswith("No space left on device")
    store.spider_closed(crawler.spider, "output_write_failed")
    assert not list((tmp_path / "output").glob("rejects-*.jsonl"))
    assert stats.get_value("cable/rejects_file").endswith("(NOT published: write failed)")


def test_an_output_file_that_cannot_be_published_fails_the_crawl_and_records_nothing(crawler, tmp_path,
                                                                                   monkeypatch):
    pipeline = JsonLinesWriterPipeline.from_crawler(crawler)
    pipeline.process_item(article(), crawler.spider)
    monkeypatch.setattr(os, "fsync", failing(errno.EIO))
    pipeline.spider_closed(crawler.spider, "finished")
    assert crawler.stats.get_value("cable/output_failed").endswith("Input/output error")
    assert not list((tmp_path / "output").glob("the-cable-*.jsonl"))
    assert len(list((tmp_path / "output").glob("the-cable-*.jsonl.part"))) == 1  # kept, for the operator
    database = tmp_path / "state" / "cable-state.sqlite3"
    assert sqlite3.connect(database).execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0
