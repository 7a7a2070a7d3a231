"""Rewrites the expected.json of every saved page (tests/pages/<layout>/<name>/) from
the current code: after a deliberate change to what the crawl reads, run
`make expected` and review the change with `git diff tests/pages`.

    python scripts/regen_expected.py            # rewrite in place
    python scripts/regen_expected.py --check    # exit 1 listing the pages that differ
    python scripts/regen_expected.py --out DIR  # write DIR/<layout>/<name>/expected.json instead
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from saved_pages import PAGES_DIR, result_json, saved_pages  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=PAGES_DIR, help="the saved pages (default: tests/pages)")
    parser.add_argument("--out", type=Path, help="write the expected files under this directory instead")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if any expected file differs")
    options = parser.parse_args(argv)
    pages = saved_pages(options.pages)
    if not pages:
        print(f"no saved pages under {options.pages}", file=sys.stderr)
        return 1
    changed = []
    for page in pages:
        text = result_json(page.result())
        current = page.directory / "expected.json"
        if not current.exists() or current.read_text("utf-8") != text:
            changed.append(page.name)
        if options.check:
            continue
        target = options.out / page.layout / page.directory.name / "expected.json" if options.out else current
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))  # bytes: the same newlines on every platform
    if options.check:
        for name in changed:
            print(f"differs: {name}")
        print(f"{len(changed)} of {len(pages)} saved pages differ from their expected.json")
        return 1 if changed else 0
    where = options.out or options.pages
    print(f"{len(pages)} expected.json written under {where}; {len(changed)} changed: {', '.join(changed) or 'none'}")
    if changed and not options.out:
        print("review the change with `git diff tests/pages` before committing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
