"""Saved-page tests: every page under tests/pages/ read again and compared, field by
field, with its expected.json (see tests/saved_pages.py for the format).

After a deliberate change to what the crawl reads, `make expected` rewrites the
expected files; review the change with `git diff tests/pages` before committing.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from saved_pages import (
    LAYOUTS, LISTING, META_KEYS, PAGE_FILES, PAGES_DIR, SavedPage, differences, layout_of, result_json,
    saved_pages,
)

TESTS = Path(__file__).resolve().parent
SERVED_TREES = (TESTS / "site", TESTS / "site_js")  # the loopback sites (tests/fpsite.py)
PAGES = saved_pages()
MAX_SHOWN = 40  # differences listed per page (a paragraph inserted early shifts all the rest)


def test_there_are_saved_pages_of_every_kind():
    layouts = {page.layout for page in PAGES}
    assert {"fp2017", "vip_2015", "current", LISTING} <= layouts
    assert any("rejected" in page.expected for page in PAGES)  # the truncated page


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_saved_page_reads_as_expected(page: SavedPage):
    expected, actual = page.expected, page.result()
    if "rejected" in actual and "rejected" not in expected:
        pytest.fail(f"{page.name}: expected an item, the page is rejected: {actual['rejected']}")
    if "rejected" in expected and "rejected" not in actual:
        pytest.fail(f"{page.name}: expected a reject {expected['rejected']}, the page gives an item:\n"
                    f"{result_json(actual)}")
    diffs = differences(expected, actual)
    if diffs:
        pytest.fail(f"{page.name}: {len(diffs)} difference(s) from expected.json"
                    f" (after a deliberate change: `make expected`, then review `git diff tests/pages`):\n  "
                    + "\n  ".join(diffs[:MAX_SHOWN])
                    + (f"\n  ... and {len(diffs) - MAX_SHOWN} more" if len(diffs) > MAX_SHOWN else ""), pytrace=False)


@pytest.mark.parametrize("page", [p for p in PAGES if p.layout != LISTING], ids=lambda page: page.name)
def test_saved_article_page_is_told_as_the_layout_it_is_filed_under(page: SavedPage):
    """A saved page under tests/pages/<layout>/ is read by that layout's page object."""
    assert layout_of(page.response()) == page.layout


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_saved_page_directory_is_complete(page: SavedPage):
    assert sorted(p.name for p in page.directory.iterdir()) == sorted(PAGE_FILES)
    # The saved page holds the bytes; everything else (the loopback sites) links to it.
    assert not (page.directory / "page.html").is_symlink()
    meta = page.meta
    assert set(META_KEYS) <= set(meta) <= set(META_KEYS) | {"notes", "channel"}  # channel: the column, as -a channel=
    assert meta["layout"] == page.layout
    assert meta["layout"] in LAYOUTS + (LISTING,)
    assert re.fullmatch(r"https?://[^/\s]+/\S*", meta["url"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta["saved_at"])
    assert meta["source"].strip()
    assert meta["content_type"].startswith("text/html")
    # expected.json is exactly what `make expected` writes (no hand formatting to drift).
    assert (page.directory / "expected.json").read_text("utf-8") == result_json(page.expected)


def test_differences_name_each_field_with_expected_and_actual():
    expected = {"headline": "A", "body": ["one", "two"], "authors": [{"name": "X", "url": None}], "dek": None}
    actual = {"headline": "B", "body": ["one"], "authors": [{"name": "Y", "url": None}], "tags": []}
    assert differences(expected, actual) == [
        'headline:\n      expected "A"\n      actual   "B"',
        "body: expected 2 items, the result has 1",
        'body[1]: only expected: "two"',
        'authors[0].name:\n      expected "X"\n      actual   "Y"',
        "dek: expected null, missing from the result",
        "tags: not expected, the result has []",
    ]
    assert differences(expected, dict(expected)) == []
    assert differences({"revision": 1}, {"revision": True})  # not the same JSON


def served_pages() -> list[Path]:
    # (parts below the tree: a checkout under a directory named "channel" still has article pages)
    return sorted(p for tree in SERVED_TREES for p in tree.rglob("index.html") if "channel" not in p.relative_to(tree).parts)


def test_loopback_site_serves_the_saved_bytes():
    """Each article page of the loopback sites is a relative symlink to a saved page
    whose URL is the path it is served at: one copy of the bytes."""
    assert served_pages()
    saved = {page.directory / "page.html": page for page in PAGES}
    for served in served_pages():
        tree = next(t for t in SERVED_TREES if t in served.parents)
        assert served.is_symlink(), f"{served} holds its own bytes: link it to its saved page"
        assert not os.path.isabs(os.readlink(served))  # a clone anywhere resolves it
        target = served.resolve()
        assert target in saved, f"{served} -> {target} is not a saved page"
        path = "/" + served.parent.relative_to(tree).as_posix() + "/"
        assert saved[target].meta["url"] == "https://foreignpolicy.com" + path


def test_real_corpus_names_link_to_their_saved_pages():
    corpus = TESTS / "data" / "corpus" / "fp"
    for name, page in (("homepage-2018-03-16.html", "listing/homepage-2018-03-16"),
                       ("article-2021-05-29-gay-reparations-fp2017-theme.html",
                        "fp2017/2021-05-29-gay-reparations-lgbtq-united-states")):
        assert (corpus / name).is_symlink()
        assert (corpus / name).resolve() == PAGES_DIR / page / "page.html"
        assert json.loads((PAGES_DIR / page / "meta.json").read_text("utf-8"))["source"].startswith("real ")
