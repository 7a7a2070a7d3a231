"""Where a crawl's files go: names, the shared time stamp, resume, boundaries."""

from __future__ import annotations

from pathlib import Path

from . import resume
from .jsonlines import utc_stamp
from .state import state_path


class OutputPathError(ValueError):
    """A file name setting that would put a file outside CABLE_OUTPUT_DIR."""


# Defaults, also used when the pipelines run outside this project's settings.
DEFAULT_FILES = {
    "CABLE_OUTPUT_DIR": "output",
    "CABLE_JSONL_FILE": "the-cable-{stamp}.jsonl",
    "CABLE_REJECTS_FILE": "rejects-{stamp}.jsonl",
}


def output_path(crawler, setting: str) -> Path | None:
    """CABLE_OUTPUT_DIR/<file name template>, or None when the setting is ''.
    A crawl resumed from JOBDIR gets the path of the run it continues."""
    settings = crawler.settings
    template = settings.get(setting, DEFAULT_FILES[setting])
    if not template:
        return None
    job = resume.for_crawler(crawler)
    if setting in job.paths:
        return Path(job.paths[setting])
    directory = settings.get("CABLE_OUTPUT_DIR", DEFAULT_FILES["CABLE_OUTPUT_DIR"])
    # One UTC time stamp per crawl, shared by the output and rejects files; a resumed crawl keeps its own.
    stamp = job.paths.get("stamp") or utc_stamp()
    job.remember("stamp", stamp)
    path = Path(directory) / file_name(setting, template, stamp)
    job.remember(setting, path)
    return path


def file_name(setting: str, template: str, stamp: str) -> str:
    """The file name a template gives: a plain name inside CABLE_OUTPUT_DIR, never
    a path (no separators, no '..'); {stamp} is the only field. Nothing taken from
    a page (slugs, titles) ever goes into a file name."""
    try:
        name = template.format(stamp=stamp)
    except (KeyError, IndexError, ValueError) as error:
        raise OutputPathError(f"{setting}={template!r}: only {{stamp}} can be used ({error})") from None
    if not name or "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
        raise OutputPathError(f"{setting}={template!r} must be a plain file name inside CABLE_OUTPUT_DIR")
    return name


def check_writable(setting: str, directory) -> None:
    """Fail fast on a directory the crawl could not write to (created if missing)."""
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".cable-write-test-{utc_stamp()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise OutputPathError(f"{setting}={str(directory)!r} is not a writable directory ({error.strerror or error})") from None


def check_settings(settings) -> None:
    """Output and state settings, checked before a crawl starts (OutputPathError)."""
    for setting in ("CABLE_JSONL_FILE", "CABLE_REJECTS_FILE"):
        template = settings.get(setting, DEFAULT_FILES[setting])
        if template:
            file_name(setting, template, "2000-01-01T00-00-00Z")
    check_writable("CABLE_OUTPUT_DIR", settings.get("CABLE_OUTPUT_DIR", DEFAULT_FILES["CABLE_OUTPUT_DIR"]))
    check_writable("CABLE_STATE_DIR", state_path(settings).parent)
    if settings.get("JOBDIR"):
        check_writable("JOBDIR", settings.get("JOBDIR"))


def keep_for_resume(crawler, reason: str) -> bool:
    """Under JOBDIR, a crawl that did not finish keeps its .part files for the resumed run."""
    return bool(crawler.settings.get("JOBDIR")) and reason != "finished"
