"""Spidermon monitors run when a crawl closes, and what happens when they fail.

A failed check is logged with its reason, kept in the stats
(`cable/monitors_failed`), and turns the exit status of `scrapy crawl` non-zero
(see commands/crawl.py), so cron, Scrapyd users and any scheduler can alert.

Thresholds are settings, overridable with -s:
  CABLE_MAX_REJECTS        rejected items and failed pages (default 25)
  CABLE_MAX_DUPLICATE_RATIO  duplicates / articles read (default 0.5), checked
                           from CABLE_DUPLICATE_RATIO_MIN_READ articles read (default 20)
  SPIDERMON_MAX_ERRORS     ERROR log lines (default 25)
  SPIDERMON_EXPECTED_FINISH_REASONS  (default ["finished"])
Written articles are re-validated by Spidermon's ItemValidationPipeline; any
invalid one fails the run. A crawl whose output file could not be written or
published fails too (the files are published before the monitors run:
incremental.component.IncrementalCrawl).
"""

from __future__ import annotations

import logging

from spidermon import Monitor, MonitorSuite, monitors
from spidermon.contrib.monitors.mixins.spider import SpiderMonitorMixin
from spidermon.contrib.scrapy.monitors import ErrorCountMonitor, FinishReasonMonitor
from spidermon.core.actions import Action

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written

logger = logging.getLogger(__name__)


class CableMonitor(Monitor, SpiderMonitorMixin):
    longMessage = False  # the reason alone, not unittest's "x not less than y : reason"

    @property
    def args(self):
        return getattr(self.data.spider, "args", None)


@monitors.name("Column index")
class IndexMonitor(CableMonitor):
    @monitors.name("the column index was read")
    def test_index_read(self):
        if self.args is not None and self.args.urls:
            self.skipTest("a urls= crawl reads no index")
        if self.data.stats.get("cable/resumed_from_jobdir"):
            self.skipTest("the paused run this one resumes read the index")
        stats = self.data.stats
        if stats.get("cable/api/pages", 0) and self.args is not None and self.args.source == "api":
            self.skipTest("source=api: the column's posts were read from the WordPress REST API")
        failed = stats.get("cable/failed_index_pages", 0)
        self.assertGreater(stats.get("cable/index_pages", 0), 0,
                           msg=f"the column index could not be read ({failed} index page(s) failed; see rejects)")


@monitors.name("Articles")
class ArticlesMonitor(CableMonitor):
    @monitors.name("a full crawl reads at least one article")
    def test_full_crawl_read_articles(self):
        args = self.args
        if args is None or args.mode != "full" or args.urls:
            self.skipTest("only a full walk of the column must find articles")
        stats = self.data.stats
        read = sum(stats.get(f"cable/articles_{kind}", 0) for kind in ("new", "revised", "unchanged"))
        self.assertGreater(read, 0, msg="the full crawl read no article (is the column index reachable?)")


@monitors.name("Rejects")
class RejectsMonitor(CableMonitor):
    @monitors.name("rejects stay under CABLE_MAX_REJECTS")
    def test_rejects_under_threshold(self):
        limit = self.data.crawler.settings.getint("CABLE_MAX_REJECTS", defaults.CABLE_MAX_REJECTS)
        stats = self.data.stats
        rejects = stats.get("cable/rejects", 0)
        reasons = ", ".join(f"{count} x {key.split('/', 2)[2]}" for key, count in sorted(stats.items())
                            if key.startswith("cable/rejects/"))
        self.assertLessEqual(rejects, limit, msg=f"{rejects} rejects > CABLE_MAX_REJECTS={limit} ({reasons})")


@monitors.name("Duplicates")
class DuplicatesMonitor(CableMonitor):
    @monitors.name("duplicates stay under CABLE_MAX_DUPLICATE_RATIO of the articles read")
    def test_duplicate_ratio(self):
        # The Cable rarely lists one article twice; most of a crawl being "duplicates" means
        # the deduplication keys are wrong (every canonical link naming the home page was one).
        settings = self.data.crawler.settings
        limit = settings.getfloat("CABLE_MAX_DUPLICATE_RATIO", defaults.CABLE_MAX_DUPLICATE_RATIO)
        minimum = settings.getint("CABLE_DUPLICATE_RATIO_MIN_READ", defaults.CABLE_DUPLICATE_RATIO_MIN_READ)
        stats = self.data.stats
        duplicates = stats.get("cable/duplicates", 0)
        read = duplicates + sum(stats.get(f"cable/articles_{kind}", 0) for kind in ("new", "revised", "unchanged"))
        if read < minimum:
            self.skipTest(f"{read} articles read, fewer than CABLE_DUPLICATE_RATIO_MIN_READ={minimum}")
        self.assertLessEqual(duplicates / read, limit,
                             msg=f"{duplicates} of {read} articles read were dropped as duplicates"
                                 f" ({duplicates / read:.0%} > CABLE_MAX_DUPLICATE_RATIO={limit})")


@monitors.name("Schema")
class WrittenItemsMonitor(CableMonitor):
    @monitors.name("Spidermon validated every written article against the schema, without error")
    def test_written_items_valid(self):
        stats = self.data.stats
        written = stats.get("cable/articles_written", 0)
        validated = stats.get("spidermon/validation/items", 0)
        invalid = stats.get("spidermon/validation/items/errors", 0)
        self.assertEqual(validated, written, msg=f"{written} articles written but {validated} validated")
        self.assertEqual(invalid, 0, msg=f"{invalid} written articles are invalid against the schema")


@monitors.name("Output")
class OutputMonitor(CableMonitor):
    @monitors.name("the output file was published")
    def test_output_published(self):
        stats = self.data.stats
        failed = stats.get("cable/output_failed")
        self.assertFalse(failed, msg=f"the output was not published ({failed})")
        written = stats.get("cable/articles_written", 0)
        if written and not stats.get("cable/output_published") and not stats.get("cable/output_kept_for_resume"):
            self.fail(f"{written} articles written but no output file was published")


class RecordResults(Action):
    """Keeps the failed checks with their reasons in the stats ([] when all
    passed) and logs each failure as an error."""

    def run_action(self):
        failures = []
        for result in self.result.monitors_failed_results:
            reason = (result.reason or (result.error or "").strip().splitlines()[-1:] or ["failed"])
            reason = reason if isinstance(reason, str) else reason[0]
            failures.append(f"{result.monitor.name}: {reason}")
        for failure in failures:
            logger.error("monitor failed: %s", failure)
        self.data.crawler.stats.set_value("cable/monitors_failed", failures)


class CrawlHealthSuite(MonitorSuite):
    monitors = [
        IndexMonitor,
        ArticlesMonitor,
        RejectsMonitor,
        DuplicatesMonitor,
        ErrorCountMonitor,
        FinishReasonMonitor,
        WrittenItemsMonitor,
        OutputMonitor,
    ]
    monitors_passed_actions = [RecordResults]
    monitors_failed_actions = [RecordResults]

    def init_data(self, data):
        self.crawl_stats = data["stats"]
        super().init_data(data)

    def run(self, result, debug=False):
        # A site that could not be reached at all leaves no crawl to judge: the crawl said why
        # in one line (middlewares.UnreachableSiteMiddleware) and exits 1 without the checks.
        if getattr(self, "crawl_stats", {}).get("cable/site_unreachable"):
            return result
        return super().run(result, debug)
