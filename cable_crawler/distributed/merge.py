"""One file of a distributed crawl: `python -m cable_crawler.distributed.merge DIR [--channel SLUG]`.

Each worker writes its own file, <channel>-<stamp>-w<worker>.jsonl (never two processes on one
file). This reads every worker file of the channel in DIR (one directory per distributed crawl,
or the workers' directories copied into one) - published files and the .part file of a worker
that was killed (its whole lines: each was claimed in Redis and written before the kill; a torn
last line is left out) - and writes DIR/<channel>-<stamp>-merged.jsonl: each line checked against
the schema (cable_crawler/schema/article.schema.json; an invalid line is left out and counted),
each article once (the first line per id, canonical URL and content fingerprint; later copies
counted), written to a .part file and renamed when whole. The inputs are left as they are.
Prints one summary line (the whole crawl's numbers); exit status 1 when a line was invalid or the
crawl wrote no article (the checks of the whole crawl its workers leave out), 0 otherwise.

`read_crawl(DIR, channel)` yields the same articles, for a consumer that reads the directory.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cable_crawler.extraction.validation import problems
from cable_crawler.incremental.jsonlines import AtomicJsonLinesFile

WORKER_FILE = re.compile(r"^(?P<channel>[a-z0-9-]+)-(?P<stamp>\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ)(?:-\d+)?"
                         r"-w(?P<worker>[A-Za-z0-9_.-]+?)\.jsonl(?P<part>\.part)?$")


@dataclass
class MergeCounts:
    files: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    lines: int = 0
    articles: int = 0
    duplicates: int = 0
    invalid: int = 0
    torn: int = 0


def worker_files(directory: Path, channel: str) -> list[Path]:
    found = []
    for path in sorted(directory.iterdir()):
        match = WORKER_FILE.match(path.name)
        if match and match["channel"] == channel and not match["worker"].endswith("merged"):
            found.append(path)
    return found


def read_crawl(directory: Path, channel: str = "the-cable", counts: MergeCounts | None = None):
    """Every article of a distributed crawl's worker files in `directory`, once, schema-valid."""
    counts = counts if counts is not None else MergeCounts()
    seen: set[str] = set()
    for path in worker_files(Path(directory), channel):
        (counts.parts if path.name.endswith(".part") else counts.files).append(path.name)
        text = path.read_text("utf-8")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        elif lines:
            lines.pop()  # no newline at the end: a line torn by the kill, left out
            counts.torn += 1
        for line in lines:
            counts.lines += 1
            try:
                article = json.loads(line)
            except ValueError:
                counts.invalid += 1
                continue
            if not isinstance(article, dict) or problems(article):
                counts.invalid += 1
                continue
            keys = {f"id:{article['id']}", f"url:{article['url']}", f"fingerprint:{article['fingerprint']}"}
            if keys & seen:
                counts.duplicates += 1
                continue
            seen |= keys
            counts.articles += 1
            yield article


def merge(directory: Path, channel: str = "the-cable") -> tuple[Path | None, MergeCounts]:
    directory = Path(directory)
    counts = MergeCounts()
    articles = list(read_crawl(directory, channel, counts))
    names = counts.files + counts.parts
    if not names:
        return None, counts
    stamp = min(WORKER_FILE.match(name)["stamp"] for name in names)
    out = AtomicJsonLinesFile(directory / f"{channel}-{stamp}-merged.jsonl").claim()
    for article in articles:
        out.write(article)
    return out.close(publish=True), counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cable_crawler.distributed.merge",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="the output directory of the crawl's workers")
    parser.add_argument("--channel", default="the-cable", help="the -a channel slug of the crawl (the-cable)")
    options = parser.parse_args(argv)
    if not options.directory.is_dir():
        print(f"merge: error: {options.directory} is not a directory", file=sys.stderr)
        return 2
    path, counts = merge(options.directory, options.channel)
    if path is None:
        print(f"merge: error: no worker file of channel {options.channel} in {options.directory}", file=sys.stderr)
        return 2
    print(f"merge: {counts.articles} articles -> {path} (from {len(counts.files)} published worker file(s)"
          f"{f' and {len(counts.parts)} unpublished .part file(s) of stopped workers' if counts.parts else ''};"
          f" {counts.lines} lines, {counts.duplicates} duplicate(s) and {counts.invalid} invalid line(s) left"
          f" out{f', {counts.torn} torn last line(s)' if counts.torn else ''})")
    if not counts.articles:
        print("merge: error: the crawl wrote no article", file=sys.stderr)
    return 1 if counts.invalid or not counts.articles else 0


if __name__ == "__main__":
    sys.exit(main())
