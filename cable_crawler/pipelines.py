"""Item pipelines, in order (see ITEM_PIPELINES in settings):

1. ValidationPipeline — invalid items and failed pages go to the rejects file
   with their reasons, are counted, and stop here; the crawl goes on.
2. DeduplicationPipeline — one item per id, URL and content fingerprint; the
   same URL with another id and other content is a conflict, not a duplicate.
3. RevisionPipeline — against the crawl state: new articles are revision 1,
   changed ones the next revision, unchanged ones are not written again.
4. JsonLinesWriterPipeline — one UTF-8 JSON object per line, crash-safe; when
   the file is published, the crawl state records what it holds.
5. WrittenItemsValidationPipeline — Spidermon's validation stats of the articles
   that came through (the Schema monitor reads them), without a second validation.

What earlier runs wrote and what this run writes is asked of and told to one
component, IncrementalCrawl (cable_crawler/incremental/component.py), found
with crawler.get_extension().
"""

from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured
from spidermon.contrib.scrapy.stats import ValidationStatsManager

from cable_crawler.incremental import state
from cable_crawler.incremental.component import IncrementalCrawl
from cable_crawler.items import PageFailure
from cable_crawler.incremental.jsonlines import AtomicJsonLinesFile
from cable_crawler.incremental.outputs import keep_for_resume, open_file, output_path, write_failed
from cable_crawler.extraction.processors import article_id
from cable_crawler.extraction.validation import SET_AFTER_VALIDATION, field_errors, problems, record


class ValidationPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.incremental = IncrementalCrawl.of(crawler)
        self.rejects = self.incremental.rejects

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        if isinstance(item, PageFailure):
            reasons = [item.get("reason") or "failed"]
            # An article page that may pass is requested again by the next runs (IncrementalCrawl.failed).
            given_up = item.get("given_up") or self.incremental.failed(item)
            if given_up:
                reasons.append(given_up)
            self.rejects.add(item.get("url"), "page_failure", reasons,
                             {"url": item.get("url"), "status": item.get("status")})
            raise DropItem(f"page failed: {item.get('url')}", log_level="DEBUG")
        listing_url = (item.get("listing") or {}).get("url")
        self.incremental.listed(item)  # the index entry it came from: kept for the crawl state, never written
        data = record(item)
        reasons = problems(data)
        if reasons:
            url = item.get("fetched_url") or data.get("url")  # the page attempted
            self.incremental.rejected_for_good([url, listing_url], reasons[0])
            self.rejects.add(url, "invalid_item", reasons, data)
            self.crawler.spider.logger.warning("rejected %s: %s", url, "; ".join(reasons))
            raise DropItem(f"invalid item: {data.get('url')}", log_level="DEBUG")
        return item


class DeduplicationPipeline:
    """Drops the second and later copies of an article within one crawl: same id, or
    the same content (fingerprint) under another URL; the log line names the fetched
    URL that was dropped.

    The same URL with another id *and* other content is no duplicate but a conflict:
    a page whose canonical link names a URL already written for another article.
    That page is written under the URL it was fetched from (both articles kept,
    `cable/url_conflicts`); when it was fetched from that very URL (the other page
    claimed it first through its canonical link), it goes to the rejects file with
    the reason instead of silently replacing or being replaced. An earlier crawl's
    article under that URL (another post id, other content) counts too, so that a
    later crawl never makes one article a revision of another."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        # article id, and content fingerprint -> the fetched URL of the first copy. Keyed by the
        # item's own strings (kept by the ledger too), not new "id:..." keys: memory per article.
        self.seen_ids: dict[str, str] = {}
        self.seen_fingerprints: dict[str, str] = {}
        self.claims: dict[str, tuple[str, str]] = {}  # url -> (id, fetched URL) of the article written under it
        self.incremental = IncrementalCrawl.of(crawler)  # what earlier crawls and a resumed run wrote
        self.rejects = self.incremental.rejects

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        spider = self.crawler.spider
        fetched = item.pop("fetched_url", None) or item["url"]
        item_id, fingerprint = item["id"], item["fingerprint"]  # as read (a URL conflict may change the id)
        first = self.seen_ids.get(item_id) or self.seen_fingerprints.get(fingerprint)
        if first is None and self.incremental.written(item["id"], fingerprint=item["fingerprint"]):
            first = "an article written before the crawl was resumed"
        if first is not None:
            self.stats.inc_value("cable/duplicates")
            spider.logger.info("duplicate: %s (written as %s) is the same article as %s", fetched, item["url"], first)
            raise DropItem(f"duplicate of {first}", log_level="DEBUG")
        other = self.claimant(item)
        if other is not None:
            self.resolve_conflict(item, fetched, other)
        self.seen_ids[item_id] = fetched
        self.seen_fingerprints[fingerprint] = fetched
        self.claims[item["url"]] = (item["id"], fetched)
        return item

    def claimant(self, item, url: str | None = None) -> tuple[str, str] | None:
        """(id, where it was fetched) of another article already written under this URL:
        in this crawl, in the run it resumes, or by an earlier crawl (the crawl state).
        Called once the item is known to be no duplicate (its id and content are new)."""
        url = url or item["url"]
        if url in self.claims:
            return self.claims[url]
        if self.incremental.written(url=url):
            return "?", "the run this crawl resumes"
        known = self.incremental.known(None, url)
        # Same URL, another post id, other content: another article. (A url- id is the
        # same article that had no post id when first seen.)
        if (known is not None and known.id != item["id"] and known.fingerprint != item["fingerprint"]
                and known.id.startswith("fp-") and item["id"].startswith("fp-")):
            return known.id, "an earlier crawl"
        return None

    def resolve_conflict(self, item, fetched: str, other: tuple[str, str]) -> None:
        """Another article (`other`: its id, where it was fetched) was written under this item's URL."""
        url = item["url"]
        other_id, other_fetched = other
        self.stats.inc_value("cable/url_conflicts")
        if fetched != url and self.claimant(item, fetched) is None:
            item["url"] = fetched
            if item["id"].startswith("url-"):  # derived from the URL, which changed
                item["id"] = article_id(None, fetched)
            self.crawler.spider.logger.warning(
                "URL conflict: %s names %s as its canonical URL, already written for another article"
                " (%s, fetched from %s): written under its fetched URL", fetched, url, other_id, other_fetched)
            return
        reason = (f"article page: URL conflict: {url} was already written for another article ({other_id},"
                  f" fetched from {other_fetched}); this page ({item['id']}) has another id and other content")
        self.rejects.add(fetched, "conflict", [reason], record(item))
        self.crawler.spider.logger.warning("rejected %s: %s", fetched, reason)
        raise DropItem(f"URL conflict: {url}", log_level="DEBUG")


class RevisionPipeline:
    """Compares each article with the crawl state (what earlier runs wrote): IncrementalCrawl.compare."""

    def __init__(self, crawler):
        self.incremental = IncrementalCrawl.of(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        if self.incremental.compare(item) == "unchanged":
            raise DropItem(f"unchanged since revision {item['revision']}: {item['url']}", log_level="DEBUG")
        return item


class JsonLinesWriterPipeline:
    """Writes each article as one line of CABLE_OUTPUT_DIR/CABLE_JSONL_FILE.

    Not Scrapy's FEEDS: its file storage writes in place under the final name,
    so a crash leaves a truncated file there. Scrapy's -o/-O feeds still work
    beside this writer; set CABLE_JSONL_FILE to '' to turn the writer off.

    The file is published (renamed from .part) when the crawl finishes, or
    closes for any reason outside JOBDIR; then the crawl state records its
    lines in one transaction (IncrementalCrawl.publish). Under JOBDIR a crawl
    that did not finish keeps its .part file, and the resumed crawl appends to it.

    A file that cannot be written (full disk, I/O error) stops the crawl and is
    never published: the state records nothing from it, so the next run writes
    those articles again (outputs.write_failed)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.file: AtomicJsonLinesFile | None = None
        self.failed = False
        self.incremental = IncrementalCrawl.of(crawler)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        self.incremental.on_close(self.spider_closed)  # published before the monitors run

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        job = self.incremental.resume
        if not job.resumed:
            return
        path = output_path(self.crawler, "CABLE_JSONL_FILE", job)
        if path is not None and path.with_name(path.name + ".part").exists():
            self.file = AtomicJsonLinesFile(path).open()  # cuts a torn last line
            count = self.incremental.resume_written(self.file.part_path)
            self.crawler.stats.set_value("cable/articles_resumed", count)
            spider.logger.info("resuming %s: %d articles already written", self.file.part_path, count)

    def process_item(self, item, spider=None):
        if self.failed:
            self.crawler.stats.inc_value("cable/articles_not_written")
            raise DropItem(f"not written, the output file failed: {item['url']}", log_level="DEBUG")
        state.lock(self.crawler.settings)  # one crawl at a time records into a state (a no-op once held)
        try:
            if self.file is None:
                # Opened with the first article: a crawl that writes nothing leaves no empty file
                # (`scrapy parse`, an incremental run with nothing new).
                self.file = open_file(self.crawler, "CABLE_JSONL_FILE", self.incremental.resume)
                if self.file is None:
                    return item
                self.crawler.spider.logger.info("writing articles to %s", self.file.part_path)
            line = record(item)
            self.file.write(line)
        except OSError as error:
            self.failed = True
            path = (self.file.part_path if self.file
                    else output_path(self.crawler, "CABLE_JSONL_FILE", self.incremental.resume))
            write_failed(self.crawler, path, error, "cannot write the output file")
            self.crawler.stats.inc_value("cable/articles_not_written")
            raise DropItem(f"not written: {item['url']}", log_level="DEBUG") from None
        self.incremental.record_written(line)
        self.crawler.stats.inc_value("cable/articles_written")
        return item

    def spider_closed(self, spider, reason):
        keep = keep_for_resume(self.crawler, reason)
        stats = self.crawler.stats
        published = None
        if self.file is not None:
            try:
                published = self.file.close(publish=not keep and not self.failed)
            except OSError as error:
                self.failed = True
                write_failed(self.crawler, self.file.part_path, error, "cannot publish the output file")
            if published:
                stats.set_value("cable/output_file", str(published))
                stats.set_value("cable/output_published", str(published))
            elif self.failed:
                stats.set_value("cable/output_file", f"{self.file.part_path} (NOT published: write failed)")
            else:
                stats.set_value("cable/output_file", f"{self.file.part_path} (kept for resume)")
                stats.set_value("cable/output_kept_for_resume", str(self.file.part_path))
        # The state records the published file's lines (with failures and walks), in one transaction;
        # nothing from a file kept for a resumed crawl (it records it when it publishes) or a failed one.
        self.incremental.publish(published, reason, complete=not keep and not self.failed)


class WrittenItemsValidationPipeline:
    """Spidermon's validation stats (spidermon/validation/items, .../items/errors,
    .../fields/errors/<message>/<field>) for the articles that came through every pipeline,
    which the Schema monitor compares with the articles written; in the place of Spidermon's
    ItemValidationPipeline, which validated each item a second time against the same schema
    (half of the crawl's validation time). ValidationPipeline checked the whole record (a
    compiled schema, extraction/validation.py); what the pipelines set after it is checked
    here, field by field (validation.SET_AFTER_VALIDATION). The stat names are Spidermon's own,
    through its ValidationStatsManager. Off with SPIDERMON_ENABLED, as Spidermon's pipeline."""

    VALIDATOR = ("Item", "JSONSchema")  # spidermon/validation/validators/item/jsonschema, as Spidermon's

    def __init__(self, crawler):
        self.stats = ValidationStatsManager(crawler.stats)
        self.stats.add_validator(*self.VALIDATOR)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("SPIDERMON_ENABLED"):
            raise NotConfigured("SPIDERMON_ENABLED is off")
        return cls(crawler)

    def process_item(self, item, spider=None):
        # Not ItemAdapter(item).asdict() (Spidermon's): it copies every nested list and dict.
        self.stats.add_item()
        self.stats.add_fields(len(item))
        errors = field_errors(item, SET_AFTER_VALIDATION)
        for field, message in errors.items():
            self.stats.add_field_error(field, message)
        if errors:
            self.stats.add_item_with_errors()
        return item
