"""Layout drift caught on the first run (issue 11): field coverage, unknown layouts and the
article count against earlier runs as monitors; spider contracts and the live canary, run here
against the loopback fixture site only."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path


from conftest import REPO, crawl_env, scrapy_crawl
from fpsite import SITE_DIR, FPSite, grow_site

from cable_crawler.operations.summary import coverage_line


def authors_moved(root: Path) -> Path:
    """A copy of the fixture site after a theme change that moves the authors: the byline,
    author links, author metas, JSON-LD author and bios all under new names."""
    shutil.copytree(SITE_DIR, root)
    for page in root.glob("20*/**/index.html"):
        html = page.read_text("utf-8")
        page.write_text(html.replace("author", "writer").replace("Author", "Writer")
                        .replace("byline", "credit").replace("bio", "about"), "utf-8")
    return root


def canary(site_url: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "scripts/canary.py", "-a", f"base_url={site_url}", *extra],
                          cwd=REPO, env=crawl_env(), capture_output=True, text=True, timeout=300)


def test_canary_passes_on_the_fixture_site():
    with FPSite() as site:
        done = canary(site.url)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "Ran 6 contracts" in done.stderr and "OK" in done.stderr
    table = done.stdout
    assert re.search(r"^  authors\s+100%\s+90%  ok$", table, re.M), table
    assert re.search(r"^  headline\s+100%\s+100%  ok$", table, re.M), table
    assert "canary: passed" in table
    assert site.requests and all("127.0.0.1" in site.url for _ in site.requests)


def test_canary_fails_naming_authors_when_the_theme_moves_them(tmp_path):
    with FPSite(site_dir=authors_moved(tmp_path / "site")) as site:
        done = canary(site.url)
    assert done.returncode == 1, done.stdout + done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"^  authors\s+0%\s+90%  FAILED$", out, re.M), out
    assert "authors 0% < 90%" in out  # the monitor's reason, in the table's footer and in the log
    assert "authors 0% < 90%" in done.stderr
    # The contracts saw it too: the sample article came back without authors.
    assert "empty field(s) authors" in done.stderr
    assert "canary: FAILED" in out


def test_scrapy_check_runs_the_contracts_on_the_given_base_url(tmp_path):
    with FPSite() as site:
        done = subprocess.run([sys.executable, "-m", "scrapy", "check", "cable", "-a", f"base_url={site.url}",
                               "-s", f"CABLE_STATE_DIR={tmp_path / 'state'}",
                               "-s", f"CABLE_OUTPUT_DIR={tmp_path / 'output'}"],
                              cwd=REPO, env=crawl_env(), capture_output=True, text=True, timeout=120)
        requested = list(site.requests)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Ran 6 contracts" in done.stderr
    assert any("/channel/the-cable/" in r for r in requested)
    assert any("/2021/06/02/biden-putin-geneva-summit-expectations-arms-control-cyber/" in r for r in requested)


def test_a_field_under_its_rule_fails_the_crawl_naming_field_and_rate(tmp_path):
    with FPSite() as site:
        done = scrapy_crawl(tmp_path / "output", f"base_url={site.url}",
                            settings={"SPIDERMON_FIELD_COVERAGE_RULES": '{"ArticleItem/related": 0.9}'})
    assert done.returncode == 1, done.log[-3000:]
    assert re.search(r"monitor failed: Field coverage/.*: .*related \d+% < 90%", done.log), done.log[-3000:]
    assert re.search(r"MONITORS FAILED \(1\)[\s\S]*related \d+% < 90%", done.log)
    assert re.search(r"field coverage \(\d+ articles written\): url 100%", done.log)


def test_the_default_rules_pass_a_full_crawl_and_an_incremental_run_writing_nothing(tmp_path):
    with FPSite() as site:
        first = scrapy_crawl(tmp_path / "output", f"base_url={site.url}")
        again = scrapy_crawl(tmp_path / "output", f"base_url={site.url}")
    assert first.returncode == 0, first.log[-3000:]
    assert "Field coverage/every field reaches" in first.log and "... OK" in first.log
    assert again.returncode == 0, again.log[-3000:]
    assert "SKIPPED (0 articles written, fewer than CABLE_FIELD_COVERAGE_MIN_ITEMS=5)" in again.log


def new_theme(root: Path) -> Path:
    """A copy of the fixture site whose 2017 theme was replaced: none of its layout markers left."""
    shutil.copytree(SITE_DIR, root)
    for page in root.glob("20*/**/index.html"):
        html = page.read_text("utf-8")
        for old, new in (("foreign-policy-2017", "foreign-policy-2027"), ("post-content-main", "story-text"),
                         ("hed-heading", "story-head"), ("data-post-id", "data-story")):
            html = html.replace(old, new)
        page.write_text(html, "utf-8")
    return root


def test_unknown_layouts_over_the_threshold_fail(tmp_path):
    with FPSite(site_dir=new_theme(tmp_path / "site")) as site:
        done = scrapy_crawl(tmp_path / "output", f"base_url={site.url}")
    unknown = re.search(r"layouts: .*unknown (\d+)", done.log)
    assert unknown and int(unknown.group(1)) >= 2, done.log[-3000:]
    assert done.returncode == 1
    assert re.search(r"monitor failed: Layouts/.*: \d+ of \d+ article pages have layout unknown"
                     r" \(\d+% > CABLE_MAX_UNKNOWN_LAYOUT_RATIO=20%\)", done.log), done.log[-3000:]


def test_a_run_finding_far_fewer_articles_than_usual_fails(tmp_path):
    usual, few = tmp_path / "usual", tmp_path / "few"
    grow_site(usual, 12, per_page=12)
    grow_site(few, 2, per_page=12)
    args = ("mode=full", "max_pages=1")
    runs = []
    for root in (usual, usual, few):
        with FPSite(site_dir=root) as site:
            runs.append(scrapy_crawl(tmp_path / "output", f"base_url={site.url}", *args))
    assert [r.returncode for r in runs[:2]] == [0, 0], runs[1].log[-3000:]
    assert "no earlier passing run of this kind" in runs[0].log
    assert runs[2].returncode == 1, runs[2].log[-3000:]
    assert re.search(r"monitor failed: History/.*: \d+ articles found, under CABLE_MIN_FOUND_RATIO=0.5 x \d+",
                     runs[2].log), runs[2].log[-3000:]
    # Spidermon's stats history lives beside the crawl state, not in the project's .scrapy/.
    assert (tmp_path / "state" / "stats" / "cable_stats_history").is_file()


def test_summary_coverage_line():
    stats = {"spidermon_item_scraped_count/ArticleItem": 4,
             "spidermon_field_coverage/ArticleItem/headline": 1.0,
             "spidermon_field_coverage/ArticleItem/authors": 0.5,
             "spidermon_field_coverage/ArticleItem/lead_image/url": 0.25}
    assert coverage_line(stats) == "  field coverage (4 articles written): headline 100%, authors 50%"
    assert coverage_line({}) is None
