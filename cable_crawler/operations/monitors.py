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
  SPIDERMON_FIELD_COVERAGE_RULES  share of the written articles having each field
                           (Spidermon's field coverage), judged from
                           CABLE_FIELD_COVERAGE_MIN_ITEMS articles written (default 5)
  CABLE_MAX_UNKNOWN_LAYOUT_RATIO  article pages of no known layout / pages read (0.2)
  CABLE_MIN_FOUND_RATIO    articles found / median of the last CABLE_FOUND_HISTORY_RUNS
                           runs of the same kind (0.5; history in CABLE_STATE_DIR/stats/)
Every written article was validated against the schema (ValidationPipeline), and
what the pipelines set after that is checked by WrittenItemsValidationPipeline into
Spidermon's validation stats; any invalid one fails the run. A crawl whose output file could not be written or
published fails too (the files are published before the monitors run:
incremental.component.IncrementalCrawl).
"""

from __future__ import annotations

import logging
import statistics
from pathlib import Path

from spidermon import Monitor, MonitorSuite, monitors
from spidermon.contrib.monitors.mixins.spider import SpiderMonitorMixin
from spidermon.contrib.scrapy.monitors import ErrorCountMonitor, FieldCoverageMonitor, FinishReasonMonitor
from spidermon.contrib.stats.statscollectors.local_storage import LocalStorageStatsHistoryCollector
from spidermon.core.actions import Action

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written
from cable_crawler.incremental.state import state_dir

logger = logging.getLogger(__name__)


class CableMonitor(Monitor, SpiderMonitorMixin):
    longMessage = False  # the reason alone, not unittest's "x not less than y : reason"

    def skip_if_distributed(self):
        """A worker of a distributed crawl does the part of the crawl it takes from the shared queue:
        checks of the whole crawl are the merge's (cable_crawler/distributed/merge.py, exit status 1)."""
        if self.data.stats.get("cable/distributed/worker"):
            self.skipTest("a worker of a distributed crawl: the whole crawl is checked by its merge")

    @property
    def args(self):
        return getattr(self.data.spider, "args", None)


def articles_read(stats: dict) -> int:
    """Articles the crawl read and compared with the crawl state: new, revised or unchanged."""
    return sum(stats.get(f"cable/articles_{kind}", 0) for kind in ("new", "revised", "unchanged"))


@monitors.name("Column index")
class IndexMonitor(CableMonitor):
    @monitors.name("the column index was read")
    def test_index_read(self):
        if self.args is not None and self.args.urls:
            self.skipTest("a urls= crawl reads no index")
        if self.data.stats.get("cable/resumed_from_jobdir"):
            self.skipTest("the paused run this one resumes read the index")
        self.skip_if_distributed()
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
        self.skip_if_distributed()
        stats = self.data.stats
        read = articles_read(stats)
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
        read = duplicates + articles_read(stats)
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


def coverage_rates(stats: dict, rules: dict) -> list[tuple[str, float, float]]:
    """(field, rate, threshold) per SPIDERMON_FIELD_COVERAGE_RULES rule, from Spidermon's
    spidermon_field_coverage/<ItemType>/<field> stats (0 when no written article had the field)."""
    return [(field.split("/", 1)[-1], float(stats.get(f"spidermon_field_coverage/{field}", 0)), float(rule))
            for field, rule in rules.items()]


@monitors.name("Field coverage")
class CoverageMonitor(FieldCoverageMonitor):
    """Spidermon's FieldCoverageMonitor (same rules, same stats), judged only from
    CABLE_FIELD_COVERAGE_MIN_ITEMS written articles, with one line naming each field under its
    rule and its rate (Spidermon's own message spans lines, and the log keeps the last one only)."""

    longMessage = False

    @monitors.name("every field reaches its SPIDERMON_FIELD_COVERAGE_RULES share of the articles written")
    def test_check_if_field_coverage_rules_are_met(self):
        settings = self.crawler.settings
        minimum = settings.getint("CABLE_FIELD_COVERAGE_MIN_ITEMS", defaults.CABLE_FIELD_COVERAGE_MIN_ITEMS)
        written = self.data.stats.get("spidermon_item_scraped_count/ArticleItem", 0)
        if written < minimum:
            self.skipTest(f"{written} articles written, fewer than CABLE_FIELD_COVERAGE_MIN_ITEMS={minimum}")
        rules = settings.getdict("SPIDERMON_FIELD_COVERAGE_RULES")
        under = [f"{field} {rate:.0%} < {rule:.0%}" for field, rate, rule in coverage_rates(self.data.stats, rules)
                 if rate < rule]
        self.assertFalse(under, msg=f"field coverage under its rule over {written} articles written: "
                                    + ", ".join(under))


@monitors.name("Layouts")
class UnknownLayoutMonitor(CableMonitor):
    @monitors.name("article pages of layout unknown stay under CABLE_MAX_UNKNOWN_LAYOUT_RATIO")
    def test_unknown_layout_ratio(self):
        settings = self.data.crawler.settings
        limit = settings.getfloat("CABLE_MAX_UNKNOWN_LAYOUT_RATIO", defaults.CABLE_MAX_UNKNOWN_LAYOUT_RATIO)
        minimum = settings.getint("CABLE_FIELD_COVERAGE_MIN_ITEMS", defaults.CABLE_FIELD_COVERAGE_MIN_ITEMS)
        stats = self.data.stats
        pages = sum(v for k, v in stats.items() if k.startswith("cable/layout/"))
        if pages < minimum:
            self.skipTest(f"{pages} article pages read, fewer than CABLE_FIELD_COVERAGE_MIN_ITEMS={minimum}")
        unknown = stats.get("cable/layout/unknown", 0)
        self.assertLessEqual(unknown / pages, limit,
                             msg=f"{unknown} of {pages} article pages have layout unknown"
                                 f" ({unknown / pages:.0%} > CABLE_MAX_UNKNOWN_LAYOUT_RATIO={limit:.0%}):"
                                 " has the site's theme changed?")


def articles_found(stats: dict) -> int:
    """Articles the crawl came across: fetched (read, or duplicates) or known from the index
    without fetching."""
    return articles_read(stats) + sum(stats.get(f"cable/{key}", 0) for key in (
        "duplicates", "index_entries_known", "index_entries_written"))


@monitors.name("History")
class FoundArticlesMonitor(CableMonitor):
    @monitors.name("the crawl finds at least CABLE_MIN_FOUND_RATIO of the articles earlier runs of its kind found")
    def test_found_against_history(self):
        args = self.args
        if args is None or args.urls:
            self.skipTest("only walks of the column index are compared")
        if self.data.stats.get("cable/resumed_from_jobdir"):  # the paused run found the rest
            self.skipTest("a resumed run finds only what its paused run left")
        self.skip_if_distributed()
        stats = self.data.stats
        # Runs of one kind: the same channel, source and arguments, the index walk stopped for the same reason and with or
        # without archive walks left by earlier runs (an incremental run stopping at the first known
        # entry finds far fewer than one walking the archive).
        kind = (f"channel={getattr(args, 'channel', None)} source={getattr(args, 'source', None)}"
                f" mode={args.mode} max_pages={args.max_pages} since={args.since} until={args.until}"
                f" stopped={stats.get('cable/paging_stopped')}"
                f" archive_walks={bool(stats.get('cable/archive_walks_resumed'))}")
        # Kept in this run's stats, so the history says which runs are comparable.
        self.data.crawler.stats.set_value("cable/run_kind", kind)
        found = articles_found(stats)
        self.data.crawler.stats.set_value("cable/articles_found", found)
        settings = self.data.crawler.settings
        runs = settings.getint("CABLE_FOUND_HISTORY_RUNS", defaults.CABLE_FOUND_HISTORY_RUNS)
        ratio = settings.getfloat("CABLE_MIN_FOUND_RATIO", defaults.CABLE_MIN_FOUND_RATIO)
        earlier = [past["cable/articles_found"] for past in getattr(self.data.spider, "stats_history", ())
                   if past.get("cable/run_kind") == kind and "cable/articles_found" in past
                   and not past.get("cable/monitors_failed")][:runs]
        if not earlier:
            self.skipTest(f"no earlier passing run of this kind ({kind}) to compare with")
        usual = statistics.median(earlier)
        self.assertGreaterEqual(found, ratio * usual,
                                msg=f"{found} articles found, under CABLE_MIN_FOUND_RATIO={ratio} x {usual:g}"
                                    f" (the median of the last {len(earlier)} runs of this kind)")


class StateDirStatsHistoryCollector(LocalStorageStatsHistoryCollector):
    """Spidermon's stats history (spider.stats_history: the stats of the last
    SPIDERMON_MAX_STORED_STATS runs, newest first), kept beside the crawl state in
    CABLE_STATE_DIR/stats/ rather than in the project's .scrapy/ directory. Overrides
    the one path method of Spidermon's collector; loading and saving are its own."""

    def _stats_location(self, spider):
        folder = Path(state_dir(self._crawler.settings)) / "stats"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{spider.name}_stats_history"


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
        CoverageMonitor,
        UnknownLayoutMonitor,
        FoundArticlesMonitor,
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
        # The same for a renderer that cannot be used (-a render=playwright without a Chromium).
        stats = getattr(self, "crawl_stats", {})
        if stats.get("cable/site_unreachable") or stats.get("cable/renderer_unavailable"):
            return result
        return super().run(result, debug)
