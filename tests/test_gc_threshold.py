"""The collector's first-generation threshold while the engine runs (crawl/gc_threshold.py)."""

from __future__ import annotations

import gc

import pytest
from pydispatch import dispatcher
from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler, get_reactor_settings

from cable_crawler import settings as defaults
from cable_crawler.crawl.gc_threshold import GcThreshold


@pytest.fixture
def python_thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's default, whatever the test process had
    yield
    gc.set_threshold(*saved)


def receivers(crawler, signal) -> list:
    return list(dispatcher.liveReceivers(dispatcher.getAllReceivers(crawler, signal)))


def test_the_threshold_holds_while_the_engine_runs_and_is_set_back(python_thresholds):
    extension = GcThreshold(12_345)
    extension.engine_stopped()  # stopped before it started (an engine that failed to start): nothing to set back
    assert gc.get_threshold() == (700, 10, 10)
    extension.engine_started()
    assert gc.get_threshold() == (12_345, 10, 10)  # the older generations as they were
    extension.engine_stopped()
    assert gc.get_threshold() == (700, 10, 10)


def test_the_project_crawl_has_it_on_the_engine_signals(tmp_path):
    settings = get_project_settings().copy_to_dict()
    settings.update({"CABLE_OUTPUT_DIR": str(tmp_path / "output"), "CABLE_STATE_DIR": str(tmp_path / "state")})
    settings.update(get_reactor_settings())  # whatever reactor (or none) this test process has
    crawler = get_crawler(Spider, settings)  # the project's EXTENSIONS
    extension = crawler.get_extension(GcThreshold)
    assert extension.threshold == defaults.CABLE_GC_THRESHOLD > 700
    assert extension.engine_started in receivers(crawler, signals.engine_started)
    assert extension.engine_stopped in receivers(crawler, signals.engine_stopped)


def test_zero_keeps_pythons_threshold():
    with pytest.raises(NotConfigured):
        GcThreshold.from_crawler(get_crawler(Spider, {"CABLE_GC_THRESHOLD": 0}))


@pytest.mark.parametrize("value, error", [(-1, "CABLE_GC_THRESHOLD=-1: a number of allocations"),
                                          ("many", "invalid literal")])
def test_a_bad_threshold_is_a_clear_error(value, error):
    with pytest.raises(ValueError, match=error):
        GcThreshold.from_crawler(get_crawler(Spider, {"CABLE_GC_THRESHOLD": value}))


def test_before_exit_puts_the_heap_out_of_the_collectors_sight():
    from cable_crawler.crawl.gc_threshold import before_exit

    held = [object() for _ in range(10)]  # noqa: F841 (objects alive now: frozen with the rest)
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        before_exit()
        assert gc.get_freeze_count() > 0  # what exists now is never walked again, at exit either
    finally:
        gc.unfreeze()  # this test process goes on


def test_a_crawl_ends_with_its_heap_frozen_and_its_files_whole(site, tmp_path):
    """`scrapy crawl` freezes the collector once the crawl is over (the exit does not walk the
    heap), after every file is written: the articles are all in the published JSONL."""
    import json
    import subprocess
    import sys

    from conftest import REPO, crawl_command, crawl_env

    command = crawl_command(tmp_path / "output", f"base_url={site.url}", "mode=full")
    scrapy_args = command[command.index("scrapy") + 1:]
    probe = ("import atexit, gc, sys; atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count(), "
             "'tracked:', len(gc.get_objects()), file=sys.stderr)); from scrapy.cmdline import execute; "
             "sys.argv = ['scrapy'] + sys.argv[1:]; execute()")
    done = subprocess.run([sys.executable, "-c", probe, *scrapy_args], cwd=REPO, env=crawl_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    frozen, _, tracked = done.stderr.rsplit("frozen at exit: ", 1)[1].split()[:3]
    # The crawl's heap (~100,000 objects), not a handful: the collector's generations hold what
    # was made after the freeze, a few hundred objects.
    assert int(frozen) > 50 * int(tracked) and int(frozen) > 10_000, (frozen, tracked)
    [published] = (tmp_path / "output").glob("the-cable-*.jsonl")
    articles = [json.loads(line) for line in published.read_text("utf-8").splitlines()]
    assert len(articles) == 7 and all(article["body"] for article in articles)
