"""The saved-page commands: `make expected` (scripts/regen_expected.py) and
`make fixture` (scripts/save_page.py), run as an operator runs them. save_page
fetches from the loopback fixture site only."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from datetime import datetime, timezone

import saved_pages
from conftest import REPO, crawl_env
from fpsite import FPSite
from saved_pages import SavedPage, result_json, saved_pages as all_saved_pages

from cable_crawler import settings as project_settings
ARTICLE_A = "/2021/06/02/biden-putin-geneva-summit-expectations-arms-control-cyber/"


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "scripts" / script), *args], cwd=REPO, env=crawl_env(),
                          capture_output=True, text=True, timeout=120)


# ----------------------------------------------------------------------------- make expected


def test_regen_expected_reproduces_the_committed_files_byte_for_byte(tmp_path):
    result = run("regen_expected.py", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    pages = all_saved_pages()
    written = sorted(tmp_path.glob("*/*/expected.json"))
    assert len(written) == len(pages)
    for page in pages:
        regenerated = tmp_path / page.layout / page.directory.name / "expected.json"
        assert regenerated.read_bytes() == (page.directory / "expected.json").read_bytes(), page.name


def test_regen_expected_check_lists_the_pages_that_differ_and_rewrite_restores_them(tmp_path):
    pages = tmp_path / "pages"
    shutil.copytree(saved_pages.PAGES_DIR, pages)
    changed = pages / "fp2017" / "2021-05-28-biden-budget-request-state-department-usaid-diplomacy" / "expected.json"
    committed = changed.read_bytes()
    data = json.loads(committed)
    data["headline"] = "A headline the code does not read"
    changed.write_text(result_json(data), "utf-8")

    check = run("regen_expected.py", "--pages", str(pages), "--check")
    assert check.returncode == 1
    assert check.stdout.splitlines()[0] == "differs: fp2017/2021-05-28-biden-budget-request-state-department-usaid-diplomacy"
    assert f"1 of {len(all_saved_pages())} saved pages differ" in check.stdout
    assert changed.read_text("utf-8") == result_json(data)  # --check writes nothing

    rewrite = run("regen_expected.py", "--pages", str(pages))
    assert rewrite.returncode == 0, rewrite.stderr
    assert "1 changed: fp2017/2021-05-28-biden-budget-request-state-department-usaid-diplomacy" in rewrite.stdout
    assert changed.read_bytes() == committed
    assert run("regen_expected.py", "--pages", str(pages), "--check").returncode == 0


# ----------------------------------------------------------------------------- make fixture


class UserAgentSite(FPSite):
    """The fixture site, also recording each request's User-Agent."""

    def __init__(self):
        super().__init__()
        base = self.httpd.RequestHandlerClass

        class Recording(base):
            def do_GET(self):
                self.server.user_agents.append(self.headers.get("User-Agent"))
                super().do_GET()

        self.httpd.RequestHandlerClass = Recording
        self.httpd.user_agents = []


def test_save_page_saves_a_page_with_meta_and_expected_item(tmp_path):
    today = datetime.now(timezone.utc).date().isoformat()
    with UserAgentSite() as site:
        result = run("save_page.py", site.url + ARTICLE_A, "--pages", str(tmp_path))
        requests, agents = list(site.requests), list(site.httpd.user_agents)
        with urllib.request.urlopen(site.url + ARTICLE_A, timeout=10) as reply:
            served = reply.read()
        again = run("save_page.py", site.url + ARTICLE_A, "--pages", str(tmp_path))
    assert result.returncode == 0, result.stderr
    layout = "fp2017" if saved_pages.detect_layout is not None else "unknown"
    directory = tmp_path / layout / "2021-06-02-biden-putin-geneva-summit-expectations-arms-control-cyber"
    assert result.stdout.splitlines() == [str(directory), "review expected.json before committing"]
    assert sorted(p.name for p in directory.iterdir()) == ["expected.json", "meta.json", "page.html"]
    assert (directory / "page.html").read_bytes() == served  # the bytes as received
    meta = json.loads((directory / "meta.json").read_text("utf-8"))
    assert {k: meta[k] for k in ("url", "saved_at", "source", "layout", "content_type")} == {
        "url": site.url + ARTICLE_A, "saved_at": today,
        "source": f"saved from {site.url + ARTICLE_A} with make fixture",
        "layout": layout, "content_type": "text/html; charset=UTF-8",
    }
    expected = json.loads((directory / "expected.json").read_text("utf-8"))
    assert expected["headline"] == "Biden and Putin Set a Low Bar for Geneva"
    assert expected["url"] == site.url + ARTICLE_A
    assert len(expected["body"]) == 8
    assert (directory / "expected.json").read_text("utf-8") == result_json(SavedPage(directory).result())
    # Politely: robots.txt first, the project's User-Agent on every request.
    assert requests == ["/robots.txt", ARTICLE_A]
    assert agents == [project_settings.USER_AGENT] * 2
    # A saved page is never overwritten.
    assert again.returncode == 1
    assert f"not saved: {directory} exists" in again.stderr
    assert (directory / "page.html").read_bytes() == served


def test_save_page_obeys_robots_txt_and_saves_nothing(tmp_path):
    with FPSite() as site:
        result = run("save_page.py", site.url + "/private/draft-post/", "--pages", str(tmp_path))
        requests = list(site.requests)
    assert result.returncode == 1
    assert "Forbidden by robots.txt" in result.stderr
    assert requests == ["/robots.txt"]
    assert list(tmp_path.iterdir()) == []


def test_save_page_reports_an_http_error_and_saves_nothing(tmp_path):
    with FPSite() as site:
        result = run("save_page.py", site.url + "/2016/03/01/removed-post-on-iran-talks/", "--pages", str(tmp_path))
    assert result.returncode == 1
    assert "not saved:" in result.stderr and "HTTP 404" in result.stderr
    assert list(tmp_path.iterdir()) == []
