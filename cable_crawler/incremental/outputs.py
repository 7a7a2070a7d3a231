"""Where a crawl's files go: names, the shared time stamp, resume, boundaries;
and what happens when writing fails. (They are closed and published at
spider_closed by IncrementalCrawl, see component.py.)"""

from __future__ import annotations

import logging
import string
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from scrapy.utils.defer import deferred_from_coro

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written
from cable_crawler.crawl.args import CHANNEL_SLUG, DEFAULT_CHANNEL
from cable_crawler.incremental.jsonlines import STAMP_FORMAT, AtomicJsonLinesFile, utc_stamp
from cable_crawler.incremental.resume import Resume
from cable_crawler.incremental.state import state_path

logger = logging.getLogger(__name__)


class OutputPathError(ValueError):
    """A file name setting that would put a file outside CABLE_OUTPUT_DIR."""


def output_path(crawler, setting: str, job: Resume) -> Path | None:
    """CABLE_OUTPUT_DIR/<file name template>, or None when the setting is ''.
    A crawl resumed from JOBDIR (`job`, IncrementalCrawl.resume) gets the path of the run it continues."""
    settings = crawler.settings
    template = settings.get(setting, getattr(defaults, setting))
    if not template:
        return None
    if setting in job.paths:
        return Path(job.paths[setting])
    directory = settings.get("CABLE_OUTPUT_DIR", defaults.CABLE_OUTPUT_DIR)
    # One UTC time stamp per crawl, shared by the output and rejects files: the crawl's start
    # (Scrapy's stat start_time), not the time the first file is opened; a resumed crawl keeps its own.
    stamp = job.paths.get("stamp") or start_stamp(crawler)
    job.remember("stamp", stamp)
    path = Path(directory) / file_name(setting, template, stamp, crawl_channel(crawler))
    job.remember(setting, path)
    return path


def start_stamp(crawler) -> str:
    """The crawl's start time (stat start_time, set by CoreStats when the spider opens) as a file stamp."""
    started = crawler.stats.get_value("start_time") if getattr(crawler, "stats", None) else None
    if isinstance(started, datetime):
        return started.astimezone(timezone.utc).strftime(STAMP_FORMAT)
    return utc_stamp()  # outside a crawl (a pipeline driven by a unit test)


def crawl_channel(crawler) -> str:
    """The channel slug of the crawl's spider (-a channel=, checked by crawl/args.py);
    the default channel outside a crawl (a pipeline driven by a unit test)."""
    args = getattr(getattr(crawler, "spider", None), "args", None)
    return getattr(args, "channel", DEFAULT_CHANNEL)


FIELDS = ("stamp", "channel")


def file_name(setting: str, template: str, stamp: str, channel: str = DEFAULT_CHANNEL) -> str:
    """The file name a template gives: a plain, visible name inside CABLE_OUTPUT_DIR,
    never a path (no separators, no '..', no control characters, no leading dot);
    {stamp} and {channel} are the only fields, as is (no attribute, index, conversion
    or format spec), and {stamp} is required: a fixed name would be the same file every run.
    {channel} is the -a channel slug, checked against crawl/args.CHANNEL_SLUG (again here):
    nothing taken from a page (slugs, titles) ever goes into a file name."""
    try:
        fields = [(field, conversion, spec) for _, field, spec, conversion in string.Formatter().parse(template)
                  if field is not None]
    except ValueError as error:
        raise OutputPathError(f"{setting}={template!r}: only {{stamp}} can be used, and {{channel}} ({error})") from None
    if any(field not in FIELDS or conversion or spec for field, conversion, spec in fields):
        raise OutputPathError(f"{setting}={template!r}: only {{stamp}} can be used, and {{channel}}, each as is")
    if not any(field == "stamp" for field, _, _ in fields):
        raise OutputPathError(f"{setting}={template!r} must contain {{stamp}}: "
                              f"every crawl needs a file name of its own")
    if not CHANNEL_SLUG.fullmatch(channel):
        raise OutputPathError(f"channel={channel!r} is not a channel slug: not put in a file name")
    name = template.format(stamp=stamp, channel=channel)  # safe now: plain {stamp} and {channel} fields only
    if ("/" in name or "\\" in name or name.startswith(".") or not name.isprintable()
            or name != name.strip()):
        raise OutputPathError(f"{setting}={template!r} must be a plain file name inside CABLE_OUTPUT_DIR "
                              f"(no separators, no leading dot, no control characters)")
    return name


def check_writable(setting: str, directory) -> None:
    """Fail fast on a directory the crawl could not write to (created if missing)."""
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
        # A probe of its own (mkstemp): crawls started together must not remove each other's.
        with tempfile.NamedTemporaryFile(dir=path, prefix=".cable-write-test-"):
            pass
    except OSError as error:
        raise OutputPathError(f"{setting}={str(directory)!r} is not a writable directory ({error.strerror or error})") from None


def check_settings(settings) -> None:
    """Output and state settings, checked before a crawl starts (OutputPathError)."""
    if not str(settings.get("CABLE_OUTPUT_DIR", defaults.CABLE_OUTPUT_DIR)).strip():
        # Path("") is the current directory: output would land wherever the crawl was started.
        raise OutputPathError("CABLE_OUTPUT_DIR='' must not be empty (it would mean the directory the crawl "
                              "is started in; to turn the output file off, set CABLE_JSONL_FILE='')")
    for setting in ("CABLE_JSONL_FILE", "CABLE_REJECTS_FILE"):
        template = settings.get(setting, getattr(defaults, setting))
        if template:
            file_name(setting, template, "2000-01-01T00-00-00Z")
    check_writable("CABLE_OUTPUT_DIR", settings.get("CABLE_OUTPUT_DIR", defaults.CABLE_OUTPUT_DIR))
    check_writable("CABLE_STATE_DIR", state_path(settings).parent)
    if settings.get("JOBDIR"):
        check_writable("JOBDIR", settings.get("JOBDIR"))


def keep_for_resume(crawler, reason: str) -> bool:
    """Under JOBDIR, a crawl that did not finish keeps its .part files for the resumed run."""
    return bool(crawler.settings.get("JOBDIR")) and reason != "finished"


def open_file(crawler, setting: str, job: Resume) -> AtomicJsonLinesFile | None:
    """This crawl's file for `setting` (None when turned off): the .part of the run a
    JOBDIR crawl resumes (`job`), or a new file under a name no other file has (claim())."""
    path = output_path(crawler, setting, job)
    if path is None:
        return None
    output = AtomicJsonLinesFile(path)
    if job.resumed and output.part_path.exists():
        return output.open()
    output.claim()
    if output.final_path != path:
        job.remember(setting, output.final_path)
    return output


def write_failed(crawler, path, error: Exception, what: str) -> None:
    """A file of this crawl could not be written or published (ENOSPC, EIO, EFBIG...):
    one clear line, the stat cable/output_failed, and the crawl stops (exit status 1,
    see commands/crawl.py). Going on would fetch pages whose articles are lost."""
    reason = f"{what}: {path}: {getattr(error, 'strerror', None) or error}"
    stats = crawler.stats
    if not stats.get_value("cable/output_failed"):
        stats.set_value("cable/output_failed", reason)
    logger.error("output write failed: %s; stopping the crawl, the file is not published", reason)
    try:
        engine = crawler.engine
    except RuntimeError:  # not crawling (a pipeline driven by a unit test)
        return
    if engine.spider is not None:
        # Scheduled, not awaited: closing waits for the item being processed, this one.
        deferred_from_coro(engine.close_spider_async(reason="output_write_failed"))
