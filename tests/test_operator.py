"""Operator's rough edges (issue 10): each tried as a new user would."""

from __future__ import annotations

import csv
import json
import re
import socket
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata

import pytest
from scrapy.utils.test import get_crawler

from conftest import REPO, crawl_command, crawl_env

from cable_crawler.incremental.resume import Resume
from cable_crawler.incremental.outputs import output_path


def test_output_and_rejects_files_are_stamped_with_the_crawl_start(tmp_path):
    # The files are opened when the first item or reject arrives: the stamp must still be
    # the crawl's start (stat start_time), as README and docs/output.md say.
    crawler = get_crawler(settings_dict={"CABLE_OUTPUT_DIR": str(tmp_path)})
    crawler.stats.set_value("start_time", datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc))
    job = Resume(None)  # no JOBDIR: a fresh crawl
    rejects = output_path(crawler, "CABLE_REJECTS_FILE", job)
    articles = output_path(crawler, "CABLE_JSONL_FILE", job)
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


def test_a_second_run_never_replaces_an_earlier_export(crawl, site, tmp_path):
    export = tmp_path / "articles.json"
    first = crawl(f"base_url={site.url}", extra=["-O", str(export)])
    assert first.returncode == 0, first.log[-3000:]
    exported = export.read_bytes()
    assert len(json.loads(exported)) == len(first.articles) > 0
    # Incremental, nothing new: -O would store `[]` over the export. Refused, with why and what to do.
    again = crawl(f"base_url={site.url}", extra=["-O", str(export)])
    assert again.returncode == 2
    refusal = [line for line in again.log.splitlines() if "error:" in line]
    assert refusal == [f"scrapy crawl: error: -O would replace {export}, an earlier export, with only this run's "
                       f"new and revised articles (the crawl state skips the others): use -o {export} to add "
                       f"them to it, or move it away first"]
    assert export.read_bytes() == exported
    # -o with nothing new leaves the file as it was (Scrapy would append an empty `[]`).
    appended = crawl(f"base_url={site.url}", extra=["-o", str(export)])
    assert appended.returncode == 0, appended.log[-3000:]
    assert "new / revised / unchanged: 0 / 0 /" in appended.log
    assert export.read_bytes() == exported


def test_csv_export_holds_list_and_dict_fields_as_json(crawl, site, tmp_path):
    export = tmp_path / "articles.csv"
    result = crawl(f"base_url={site.url}", extra=["-o", str(export)])
    assert result.returncode == 0, result.log[-3000:]
    with export.open(newline="", encoding="utf-8") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    assert len(rows) == len(result.articles) > 0
    for article in result.articles:
        row = rows[article["id"]]
        for name in ("authors", "body", "images", "tags"):
            assert json.loads(row[name]) == article[name], name
        assert row["headline"] == article["headline"]


def test_default_crawl_log_is_readable_at_a_glance(site, tmp_path):
    # The operator's command line: no LOG_LEVEL given (settings.py: INFO).
    command = crawl_command(tmp_path / "output", f"base_url={site.url}")
    at = command.index("LOG_LEVEL=INFO")
    del command[at - 1:at + 1]
    done = subprocess.run(command, cwd=REPO, env=crawl_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    log = done.stderr.splitlines()
    before_summary = log[:next(i for i, line in enumerate(log) if "crawl finished (" in line)]
    for noise in ("Scrapy 2.", "Versions:", "Enabled extensions", "Enabled downloader middlewares",
                  "Enabled item pipelines", "Overridden settings", "Enabled addons"):
        assert not any(noise in line for line in before_summary), noise
    # 193 before (Scrapy's banner and lists); the stats dump now holds Spidermon's field coverage
    # too (issue 11: a count and a rate per top-level article field, ~44 lines), and the
    # completeness pass's counts (~6 lines).
    assert len(before_summary) < 160, len(before_summary)
    assert any("Dumping Scrapy stats" in line for line in before_summary)  # the stats stay in the log
    # At DEBUG, Scrapy's start-up lines are all there.
    debug = subprocess.run(command + ["-s", "LOG_LEVEL=DEBUG", "-s", f"CABLE_STATE_DIR={tmp_path / 'state2'}"],
                           cwd=REPO, env=crawl_env(), capture_output=True, text=True, timeout=300)
    assert "Enabled extensions" in debug.stderr and "Overridden settings" in debug.stderr


def test_no_console_and_no_remote_control_port(crawl, site):
    from cable_crawler import settings
    assert settings.TELNETCONSOLE_ENABLED is False and settings.REMOTE_CONTROL_ENABLED is False
    result = crawl(f"base_url={site.url}", "max_pages=1", settings={"LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log[-3000:]
    enabled = result.log.split("Enabled extensions:", 1)[1].split("\n20", 1)[0]
    assert "TelnetConsole" not in enabled and "RemoteControl" not in enabled
    assert "Telnet console listening" not in result.log and "Remote control" not in result.log


ARTICLE = "/2021/06/02/biden-putin-geneva-summit-expectations-arms-control-cyber/"


def scrapy_command(tmp_path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "scrapy", *args, "-s", f"CABLE_OUTPUT_DIR={tmp_path / 'output'}",
               "-s", f"CABLE_STATE_DIR={tmp_path / 'state'}"]
    return subprocess.run(command, cwd=REPO, env=crawl_env(), capture_output=True, text=True, timeout=120)


def test_scrapy_parse_reads_a_page_of_the_site_the_url_names_without_monitors(site, tmp_path):
    # The README's debugging line, on a site other than foreignpolicy.com and without -a base_url.
    done = scrapy_command(tmp_path, "parse", "--spider=cable", "-c", "parse_article", site.url + ARTICLE)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "'headline': 'Biden" in done.stdout
    assert f"reading it with -a base_url={site.url}" in done.stderr
    assert "MONITORS" not in done.stderr and "No response downloaded" not in done.stderr


def test_scrapy_parse_says_why_a_url_off_base_url_is_not_read(site, tmp_path):
    done = scrapy_command(tmp_path, "parse", "--spider=cable", "-c", "parse_article", "-a",
                          "base_url=https://foreignpolicy.com", site.url + ARTICLE)
    assert done.returncode == 2
    assert [line for line in done.stderr.splitlines() if "error" in line.lower()] == [
        f"scrapy parse: error: {site.url + ARTICLE} is not on base_url=https://foreignpolicy.com, so the spider "
        f"would not request it: pass -a base_url={site.url}"]
    assert "MONITORS" not in done.stderr


@pytest.mark.parametrize("command", [["fetch"], ["shell", "-c", "response.status"]])
def test_debugging_commands_run_no_crawl_monitors(site, tmp_path, command):
    done = scrapy_command(tmp_path, *command[:1], site.url + "/robots.txt", *command[1:])
    assert done.returncode == 0, done.stderr[-3000:]
    assert "MONITORS" not in done.stdout + done.stderr and "Spidermon" not in done.stdout + done.stderr


def test_scrapy_shell_offers_the_page_readers_view(site, tmp_path):
    code = "(page.layout, page.headline()[0], [n.tag for n in select(page.root, 'h1')])"
    done = scrapy_command(tmp_path, "shell", site.url + ARTICLE, "-c", code)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().startswith("('fp2017', 'Biden"), done.stdout
    assert done.stdout.strip().endswith("['h1'])"), done.stdout
    done = scrapy_command(tmp_path, "shell", site.url + "/robots.txt", "-c", "page")
    assert done.returncode == 0 and done.stdout.strip() == "None", done.stdout  # not an HTML page


def test_scrapy_crawl_help_lists_the_spider_arguments_from_their_one_declaration():
    import inspect
    from cable_crawler.crawl.args import ARGUMENTS, parse_args
    declared = [a.name for a in ARGUMENTS]
    accepted = [name for name, p in inspect.signature(parse_args).parameters.items() if p.kind is p.KEYWORD_ONLY
                or p.default is None]
    assert sorted(declared) == sorted(accepted)
    readme = (REPO / "README.md").read_text("utf-8")
    assert re.findall(r"^\| `(\w+)` \|", readme, flags=re.M) == declared
    done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "-h"], cwd=REPO, env=crawl_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    listed = done.stdout.split("Spider arguments (cable):", 1)[1]
    for argument in ARGUMENTS:
        assert re.search(rf"^  -a {argument.name}=\.\.\. +{re.escape(argument.meaning)} \(default: "
                         rf"{re.escape(argument.default)}\)$", listed, flags=re.M), argument.name


def test_make_test_says_it_installs_debian_packages_and_how_to_skip_the_rendering_tests():
    shown = subprocess.run(["make", "-n", "test"], cwd=REPO, capture_output=True, text=True, timeout=60).stdout
    announcement = [line for line in shown.splitlines() if line.startswith("echo")]
    assert any("Debian packages" in line for line in announcement)
    assert any("make test ARGS=" in line and "not rendering" in line for line in announcement)
    selected = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q",
                               "-m", "not rendering", "tests/test_splash.py"],
                              cwd=REPO, capture_output=True, text=True, timeout=60)
    assert "no tests collected" in selected.stdout and "deselected" in selected.stdout
    assert "rendering" not in (REPO / ".ci" / "run").read_text("utf-8")  # CI runs them


def test_unreachable_reason_names_dns_and_refused_connections():
    from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
    from twisted.internet.error import DNSLookupError
    from cable_crawler.middlewares import unreachable_reason
    try:
        try:
            raise DNSLookupError("no results for hostname lookup: foreignpolicy.com")
        except DNSLookupError as cause:
            raise CannotResolveHostError("DNS lookup failed") from cause
    except CannotResolveHostError as error:
        assert unreachable_reason(error) == "DNS lookup failed"
    assert unreachable_reason(DownloadConnectionRefusedError()) == "connection refused"
    assert unreachable_reason(TimeoutError()) is None  # a slow site was reached


def assert_one_line_unreachable(returncode: int, log: str, expected: str) -> None:
    assert returncode == 1, log[-3000:]
    assert [line.split("ERROR: ", 1)[1] for line in log.splitlines() if "cannot reach" in line] == [
        f"cannot reach {expected}: no page could be fetched; check the network, or -a base_url"]
    assert "Traceback" not in log and "MONITORS FAILED" not in log and "giving up on" not in log
    assert [line for line in log.splitlines() if " ERROR: " in line or " WARNING: " in line] == [
        line for line in log.splitlines() if "cannot reach" in line]
    assert "SITE NOT REACHED" in log


def test_a_site_refusing_connections_is_said_once_without_tracebacks(crawl):
    with socket.socket() as probe:  # a port on 127.0.0.1 nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = crawl(f"base_url=http://127.0.0.1:{port}")
    assert_one_line_unreachable(result.returncode, result.log, "127.0.0.1 (connection refused)")
    assert "Closing spider (site_unreachable)" in result.log


def test_make_crawl_without_network_says_dns_failed_once(tmp_path):
    # `make crawl` in a network namespace with no interface up: the DNS lookup of
    # foreignpolicy.com fails on the machine itself (nothing leaves it).
    from test_network_isolation import namespaces_unavailable
    reason = namespaces_unavailable()
    if reason:
        pytest.skip(reason)
    command = crawl_command(tmp_path / "output")
    done = subprocess.run(["unshare", "--net", "--", *command], cwd=REPO, env=crawl_env(), capture_output=True,
                          text=True, timeout=300)
    assert_one_line_unreachable(done.returncode, done.stdout + done.stderr, "foreignpolicy.com (DNS lookup failed)")
