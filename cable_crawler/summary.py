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
        f"  rejects: {stats.get('cable/rejects', 0)}"
        + (f" -> {stats.get('cable/rejects_file')}" if stats.get("cable/rejects_file") else ""),
    ]
    lines += [f"    {count} x {name}" for name, count in sorted(reasons.items())]
    cut = {k.split("/", 2)[2]: v for k, v in stats.items() if k.startswith("cable/page_limits/")}
    if cut:  # hostile or broken pages: what was left out, or how many pages were too slow to read
        lines.append(f"  pages over the per-page limits: {stats.get('cable/pages_cut', 0)} cut, "
                     f"{cut.pop('parse_time', 0)} too slow to read"
                     + (f" (left out: {', '.join(f'{n} {what}' for what, n in sorted(cut.items()))})" if cut else ""))
    lines.append(f"  errors logged: {stats.get('log_count/ERROR', 0)}")
    failed = stats.get("cable/monitors_failed")
    if failed:
        lines.append(f"  MONITORS FAILED ({len(failed)}): exit status 1")
        lines += [f"    {failure}" for failure in failed]
    elif "cable/monitors_failed" in stats:
        lines.append("  monitors: all passed")
    return lines
