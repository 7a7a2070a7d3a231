"""Operator's rough edges (issue 10): each tried as a new user would."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from conftest import REPO

from cable_crawler.incremental.outputs import output_path


def test_output_and_rejects_files_are_stamped_with_the_crawl_start(tmp_path):
    # The files are opened when the first item or reject arrives: the stamp must still be
    # the crawl's start (stat start_time), as README and docs/output.md say.
    crawler = get_crawler(settings_dict={"CABLE_OUTPUT_DIR": str(tmp_path)})
    crawler.stats.set_value("start_time", datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc))
    rejects = output_path(crawler, "CABLE_REJECTS_FILE")
    articles = output_path(crawler, "CABLE_JSONL_FILE")
    assert rejects.name == "rejects-2024-05-06T07-08-09Z.jsonl"
    assert articles.name == "the-cable-2024-05-06T07-08-09Z.jsonl"


def test_pyproject_names_only_extras_the_installed_spidermon_declares():
    text = (REPO / "pyproject.toml").read_text("utf-8")
    wanted = re.search(r'"spidermon\[([^\]]*)\]', text).group(1).split(",")
    declared = set(metadata.metadata("spidermon").get_all("Provides-Extra") or ())
    assert set(wanted) <= declared, f"pyproject asks for spidermon extras {wanted}, it declares {sorted(declared)}"


def test_readme_states_the_retry_count_of_the_settings():
    from cable_crawler import settings
    readme = (REPO / "README.md").read_text("utf-8")
    counts = {int(n) for n in re.findall(r"(\d+) retries", readme)}
    assert counts == {settings.RETRY_TIMES}
