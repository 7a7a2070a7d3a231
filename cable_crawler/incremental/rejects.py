"""The rejects file: every page or item the crawl could not turn into an
article, with its reasons. One per crawl, held by IncrementalCrawl (which
closes and publishes it with the output), so that the pipelines and the spider
all report to it (`IncrementalCrawl.of(crawler).rejects`); written crash-safe
like the output."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from cable_crawler.incremental.jsonlines import AtomicJsonLinesFile
from cable_crawler.incremental.outputs import keep_for_resume, open_file, output_path, write_failed
from cable_crawler.incremental.resume import Resume
from cable_crawler.crawl.redact import redact_record, secret_values


def reason_key(reason: str) -> str:
    """Stats key for a reason, without the values that vary per page:
    'article page: HTTP 404' -> article_page_http_404,
    'article page: TimeoutError: took longer...' -> article_page_timeouterror,
    'published_at: 'x' does not match ...' -> invalid_published_at,
    'empty body (no article paragraphs found)' -> empty_body."""
    parts = [part.strip() for part in reason.split(":")]
    if len(parts) > 1 and parts[0].endswith("page"):
        head = f"{parts[0]} {parts[1]}"
    elif len(parts) > 1:
        head = f"invalid {parts[0]}"
    else:
        head = reason.split("(")[0]
    return re.sub(r"[^a-z0-9_]+", "_", head.lower()).strip("_")[:60] or "unknown"


class Rejects:
    def __init__(self, crawler, job: Resume):
        self.crawler = crawler
        self.job = job  # JOBDIR resume data: a resumed crawl appends to the rejects file it began
        self.file: AtomicJsonLinesFile | None = None
        self.failed = False
        self.secrets: list[str] | None = None

    def add(self, url: str | None, kind: str, reasons: list[str], item: dict | None = None) -> None:
        if self.secrets is None:  # read late: the spider adds HTTPAUTH_* while it is built
            self.secrets = secret_values(self.crawler.settings)
        try:
            if self.file is None and not self.failed:
                self.file = open_file(self.crawler, "CABLE_REJECTS_FILE", self.job)
            if self.file is not None and not self.failed:
                # URLs and reasons quote what the site sent (a redirect to user:password@host).
                self.file.write(redact_record({
                    "url": url, "kind": kind, "reasons": reasons,
                    "rejected_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
                    "item": item or {},
                }, self.secrets))
        except OSError as error:  # a reject that cannot be written is a lost report: stop
            self.failed = True
            path = self.file.part_path if self.file else output_path(self.crawler, "CABLE_REJECTS_FILE", self.job)
            write_failed(self.crawler, path, error, "cannot write the rejects file")
        stats = self.crawler.stats
        stats.inc_value("cable/rejects")
        for reason in reasons:
            stats.inc_value(f"cable/rejects/{reason_key(reason)}")

    def spider_closed(self, spider, reason):
        if self.file is not None:
            path = None
            try:
                path = self.file.close(publish=not keep_for_resume(self.crawler, reason) and not self.failed)
            except OSError as error:
                self.failed = True
                write_failed(self.crawler, self.file.part_path, error, "cannot publish the rejects file")
            suffix = " (NOT published: write failed)" if self.failed else ""
            self.crawler.stats.set_value("cable/rejects_file", f"{path or self.file.part_path}{suffix}")

