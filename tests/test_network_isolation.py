"""A crawl talks to the crawled site and to nobody else.

Each case runs a real Scrapy entry point inside network and mount namespaces
made for the test (tests/isolated_network.py): the only reachable host is the
fixture site on 127.0.0.1, which sets a cookie on every response; every other
IPv4 address, and every name the resolver is asked for, leads to a tarpit that
accepts connections and never answers. tldextract's cache points to an empty
directory, so a list fetched by an earlier run cannot hide a fetch.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, crawl_command, crawl_env
from fpsite import ARTICLE_A, SITE_DIR

pytestmark = pytest.mark.reliability

DRIVER = Path(__file__).resolve().parent / "isolated_network.py"
HANG_GUARD = 60  # seconds; a clean run takes a few


def namespaces_unavailable() -> str | None:
    if shutil.which("unshare") is None or shutil.which("ip") is None or shutil.which("mount") is None:
        return "needs unshare, ip and mount (util-linux, iproute2) to build an isolated network"
    probe = subprocess.run(["unshare", "--net", "--mount", "--", "ip", "link", "set", "lo", "up"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return ("cannot create network and mount namespaces here (needs root or CAP_SYS_ADMIN): "
                + probe.stderr.strip())
    return None


def run_isolated(tmp_path: Path, command: list[str], extra_env: dict | None = None,
                 site_dir: Path | None = None) -> dict:
    reason = namespaces_unavailable()
    if reason:
        pytest.skip(reason)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in crawl_env().items()
           if not k.startswith("TLDEXTRACT_") and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), TLDEXTRACT_CACHE=str(home / "tldextract"),
               **(extra_env or {}))
    done = subprocess.run(["unshare", "--net", "--mount", "--", sys.executable, str(DRIVER), str(tmp_path),
                           "--timeout", str(HANG_GUARD), "--cwd", str(REPO),
                           *(["--site-dir", str(site_dir)] if site_dir else []), "--", *command],
                          env=env, capture_output=True, text=True, timeout=HANG_GUARD + 30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def article_url(path: str = "2021/06/02/biden-putin-geneva-summit-expectations-arms-control-cyber/") -> str:
    return "{site}/" + path


def beside(output_dir: Path) -> list[str]:
    """Output and crawl state in the test's directory, never the repository's."""
    return ["-s", f"CABLE_OUTPUT_DIR={output_dir}", "-s", f"CABLE_STATE_DIR={output_dir.parent / 'state'}"]


# Scrapyd starts each job as `python -m scrapyd.runner crawl ...`, with the project (and,
# from the egg's entry point, the settings module) in the environment.
SCRAPYD_ENV = {"SCRAPY_PROJECT": "cable_crawler", "SCRAPY_SETTINGS_MODULE": "cable_crawler.settings"}
DEBUG = {"LOG_LEVEL": "DEBUG"}
ENTRY_POINTS = {
    # LOG_LEVEL=DEBUG: Scrapy's list of enabled extensions is logged at DEBUG only (commands/crawl.py).
    "scrapy crawl": lambda out: crawl_command(out, "base_url={site}", "max_pages=1", settings=DEBUG),
    "Scrapyd's job runner": lambda out: [sys.executable, "-m", "scrapyd.runner",
                                         *crawl_command(out, "base_url={site}", "max_pages=1", settings=DEBUG)[3:]],
    "scrapy parse": lambda out: [sys.executable, "-m", "scrapy", "parse", *beside(out), "--spider=cable",
                                 "-a", "base_url={site}", "--callback=parse_article", article_url()],
    "scrapy shell": lambda out: [sys.executable, "-m", "scrapy", "shell", *beside(out), article_url(),
                                 "-c", "response.css('h1::text').get()"],
}


@pytest.mark.parametrize("entry_point", list(ENTRY_POINTS))
def test_a_cookie_setting_site_makes_no_crawl_contact_another_host(tmp_path, entry_point):
    output_dir = tmp_path / "output"
    report = run_isolated(tmp_path, ENTRY_POINTS[entry_point](output_dir),
                          extra_env=SCRAPYD_ENV if entry_point == "Scrapyd's job runner" else None)
    output = report["output"]
    assert not report["timed_out"], f"hung for {HANG_GUARD}s; tarpit saw {report['tarpit_connections']}"
    assert report["tarpit_connections"] == []
    assert report["dns_queries"] == []
    assert report["returncode"] == 0, output[-3000:]
    assert any(path.startswith("/2021/06/02/") for path in report["site_requests"])
    if entry_point in ("scrapy crawl", "Scrapyd's job runner"):
        articles = [json.loads(line) for f in output_dir.glob("the-cable-*.jsonl")
                    for line in f.read_text("utf-8").splitlines()]
        assert len(articles) == 3
        assert "Enabled extensions" in output and "RemoteControl" not in output  # no port opened either
    elif entry_point == "scrapy parse":
        assert "Biden" in output and "# Scraped Items" in output
    else:
        assert "Biden" in output


def test_scrapys_cookie_middleware_uses_the_bundled_suffix_list():
    """The mechanism, checked on the installed versions: the extractor that Scrapy's
    CookiesMiddleware builds (a private name, read here only to check it) fetches nothing."""
    code = ("import cable_crawler.settings, scrapy.downloadermiddlewares.cookies as c;"
            " print(repr(c._split_domain.suffix_list_urls))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TLDEXTRACT_")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "()", done.stderr


def test_www_is_never_put_before_an_ip_address_site(tmp_path):
    """For a site at 127.0.0.1, www.127.0.0.1 is another host (a DNS name): a redirect
    there is refused and reported, never looked up."""
    site_dir = tmp_path / "site"
    shutil.copytree(SITE_DIR, site_dir)
    routes = json.loads((site_dir / "_routes.json").read_text())
    routes["/2021/07/09/to-www/"] = {"status": 302, "location": f"http://www.127.0.0.1:{{port}}/{ARTICLE_A}/"}
    (site_dir / "_routes.json").write_text(json.dumps(routes))
    output_dir = tmp_path / "output"
    report = run_isolated(tmp_path, crawl_command(output_dir, "base_url={site}", "urls={site}/2021/07/09/to-www/"),
                          site_dir=site_dir)
    assert not report["timed_out"]
    assert report["dns_queries"] == [] and report["tarpit_connections"] == []
    rejects = [json.loads(line) for f in output_dir.glob("rejects-*.jsonl") for line in f.read_text().splitlines()]
    assert [r["url"] for r in rejects] == [report["site"] + "/2021/07/09/to-www/"]
    [reason] = rejects[0]["reasons"]
    assert "off-site URL refused: http://www.127.0.0.1:" in reason
