"""End-of-crawl summary: what an operator needs to know, in a few lines."""

from __future__ import annotations

import logging

from scrapy import signals

logger = logging.getLogger(__name__)


class CrawlSummary:
    def __init__(self, crawler):
        self.crawler = crawler
        self.reason = "unknown"
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        # Printed once everything (pipelines' files included) is closed.
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_closed(self, spider, reason):
        self.reason = reason

    def engine_stopped(self):
        for line in summary_lines(self.crawler.stats.get_stats(), self.reason):
            logger.info(line)


def reasons_note(rejects: int, reasons: dict) -> str:
    """The lines below the rejects count list reasons; an invalid item can have
    several (missing headline and empty body), so say when they add up to more."""
    total = sum(reasons.values())
    return "" if total == rejects else f", with {total} reasons (one reject can have several)"


def summary_lines(stats: dict, reason: str) -> list[str]:
    start, finish = stats.get("start_time"), stats.get("finish_time")
    elapsed = (finish - start).total_seconds() if start and finish else stats.get("elapsed_time_seconds", 0)
    reasons = {k.split("/", 2)[2]: v for k, v in stats.items() if k.startswith("cable/rejects/")}
    lines = [
        f"crawl finished ({reason}) in {elapsed:.1f}s",
        f"  pages fetched: {stats.get('response_received_count', 0)}"
        f" (index pages: {stats.get('cable/index_pages', 0)})",
        f"  articles written: {stats.get('cable/articles_written', 0)}"
        f" -> {stats.get('cable/output_file', 'no output file')}",
        f"  new / revised / unchanged: {stats.get('cable/articles_new', 0)} / "
        f"{stats.get('cable/articles_revised', 0)} / {stats.get('cable/articles_unchanged', 0)}"
        f" (known index entries not fetched: {stats.get('cable/index_entries_known', 0)})",
        f"  duplicates: {stats.get('cable/duplicates', 0) + stats.get('cable/index_entries_written', 0)}"
        f" ({stats.get('cable/duplicates', 0)} dropped after fetching,"
        f" {stats.get('cable/index_entries_written', 0)} recognised in the index)",
        f"  rejects: {stats.get('cable/rejects', 0)}" + reasons_note(stats.get("cable/rejects", 0), reasons)
        + (f" -> {stats.get('cable/rejects_file')}" if stats.get("cable/rejects_file") else ""),
    ]
    layouts = layouts_line(stats)
    if layouts:
        lines.insert(3, layouts)
    if stats.get("cable/distributed/worker"):
        lines.insert(1, distributed_line(stats))
    coverage = coverage_line(stats)
    if coverage:
        lines.insert(3, coverage)
    if stats.get("cable/canonical_ignored") or stats.get("cable/url_conflicts"):
        lines.insert(-1, f"  canonical links ignored: {stats.get('cable/canonical_ignored', 0)}"
                         f" (fetched URL used instead); URL conflicts: {stats.get('cable/url_conflicts', 0)}")
    lines += [f"    {count} x {name}" for name, count in sorted(reasons.items())]
    cut = {k.split("/", 2)[2]: v for k, v in stats.items() if k.startswith("cable/page_limits/")}
    if cut:  # hostile or broken pages: what was left out, or how many pages were too slow to read
        lines.append(f"  pages over the per-page limits: {stats.get('cable/pages_cut', 0)} cut, "
                     f"{cut.pop('parse_time', 0)} too slow to read"
                     + (f" (left out: {', '.join(f'{n} {what}' for what, n in sorted(cut.items()))})" if cut else ""))
    lines += paging_lines(stats)
    completeness = completeness_line(stats)
    if completeness:
        lines.append(completeness)
    if stats.get("cable/api/cross_checked") or stats.get("cable/api/unavailable"):
        disagreements = sum(v for k, v in stats.items() if k.startswith("cable/api/disagreements/"))
        lines.append(f"  WordPress API: {stats.get('cable/api/cross_checked', 0)} article pages cross-checked,"
                     f" {stats.get('cable/api/date_corrected', 0)} dates corrected to UTC,"
                     f" {disagreements} disagreements"
                     + (" (API unavailable: HTML only)" if stats.get("cable/api/unavailable") else ""))
    lines.append(f"  errors logged: {stats.get('log_count/ERROR', 0)}")
    if stats.get("cable/output_failed"):
        not_written = stats.get("cable/articles_not_written", 0)
        lines.append(f"  OUTPUT NOT PUBLISHED: {stats['cable/output_failed']}"
                     f" ({not_written} articles not written): exit status 1")
    if stats.get("cable/site_unreachable"):
        lines.append("  SITE NOT REACHED (see the error above): monitors not run: exit status 1")
    if stats.get("cable/renderer_unavailable"):
        lines.append("  NO RENDERER (see the error above): nothing requested, monitors not run: exit status 1")
    failed = stats.get("cable/monitors_failed")
    if failed:
        lines.append(f"  MONITORS FAILED ({len(failed)}): exit status 1")
        lines += [f"    {failure}" for failure in failed]
    elif "cable/monitors_failed" in stats:
        lines.append("  monitors: all passed")
    return lines


def completeness_line(stats: dict) -> str | None:
    """What the completeness pass found: the API's posts of the channel against the crawl state."""
    if "cable/completeness/skipped" in stats:
        return f"  completeness pass: skipped ({stats['cable/completeness/skipped']})"
    if "cable/completeness/listed" not in stats:
        return None
    deferred = stats.get("cable/completeness/deferred", 0)
    return (f"  completeness pass: {stats['cable/completeness/listed']} posts listed by the API,"
            f" {stats.get('cable/completeness/missing', 0)} missing from the crawl state and this crawl,"
            f" {stats.get('cable/completeness/requested', 0)} requested"
            + (f", {deferred} left for the next run (CABLE_COMPLETENESS_MAX)" if deferred else ""))


def coverage_line(stats: dict) -> str | None:
    """Share of the written articles having each field (Spidermon's field coverage stats):
    "  field coverage (12 articles): url 100%, headline 100%, ..., dek 42%"."""
    total = stats.get("spidermon_item_scraped_count/ArticleItem")
    if not total:
        return None
    rates = [(k.split("/", 2)[2], v) for k, v in stats.items()
             if k.startswith("spidermon_field_coverage/ArticleItem/") and k.count("/") == 2]
    return f"  field coverage ({total} articles written): " + ", ".join(f"{field} {rate:.0%}" for field, rate in rates)


def distributed_line(stats: dict) -> str:
    """A worker of a distributed crawl (cable_crawler/distributed/): its part of the crawl."""
    return (f"  distributed crawl {stats.get('cable/distributed/crawl')}: worker {stats['cable/distributed/worker']},"
            f" {stats.get('scheduler/dequeued/redis', 0)} requests taken from the shared queue,"
            f" {stats.get('cable/distributed/claimed_elsewhere', 0)} articles written by other workers,"
            f" {stats.get('cable/distributed/requests_recovered', 0)} requests of stopped workers put back"
            + ("; the crawl is over (last worker)" if stats.get("cable/distributed/crawl_finished") else ""))


def layouts_line(stats: dict) -> str | None:
    """Article pages per template layout, most first: "  layouts: fp2017 5, current 1, vip_2015 1".
    A page of no known layout shows as "unknown" (it was read from JSON-LD and meta data)."""
    counts = {k.split("/", 2)[2]: v for k, v in stats.items() if k.startswith("cable/layout/")}
    if not counts:
        return None
    return "  layouts: " + ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def paging_lines(stats: dict) -> list[str]:
    """Why the index walk stopped, archive walks continued from earlier runs, and
    failed articles kept for the next runs (see cable_crawler/incremental/unfinished.py)."""
    lines = []
    if "cable/paging_stopped" in stats:
        lines.append(f"  index paging stopped: {stats['cable/paging_stopped']}")
    resumed = stats.get("cable/archive_walks_resumed", 0)
    if resumed:
        lines.append(f"  archive walks continued from earlier runs: {resumed}"
                     f" (last stopped: {stats.get('cable/archive_walk_stopped', 'crawl_ended')})")
    if stats.get("cable/archive_walks_open"):
        lines.append(f"  archive walks left for the next run: {stats['cable/archive_walks_open']}")
    if stats.get("cable/articles_not_reached"):
        lines.append(f"  articles requested but not reached before the crawl closed: {stats['cable/articles_not_reached']}"
                     " (kept for the next run)")
    retried, remembered = stats.get("cable/failed_articles_retried", 0), stats.get("cable/failed_articles_remembered", 0)
    given_up = stats.get("cable/failed_articles_given_up", 0)
    if retried or remembered or given_up:
        lines.append(f"  failed articles: {retried} retried from earlier runs, {remembered} kept for the next run,"
                     f" {given_up} given up")
    return lines
