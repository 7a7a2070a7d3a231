"""Deployment: the project as an egg on a real Scrapyd (127.0.0.1), deployed with the
real `scrapyd-deploy` and scheduled through Scrapyd's JSON API, as an operator would.

Scrapyd gets its own directory (its scrapyd.conf, eggs, logs, items, dbs) and a free
port; `scrapyd-deploy env` reads the target URL from $SCRAPYD_URL (scrapy.cfg).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest

from conftest import REPO
from fpsite import FPSite, free_port

PROJECT = "cable_crawler"
SPIDER = "cable"
JOB_TIMEOUT = 120  # seconds for the scheduled crawl to finish (it takes about 2 s)


def _executable(name: str) -> str:
    """A console script of the environment running the tests (the .venv of `make test`)."""
    candidate = Path(sys.executable).with_name(name)
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"`{name}` not found next to {sys.executable} nor on PATH: install the test extras "
                    f"(pip install -e '.[test]'; `make test` does it)")
    return found


def _require_scrapyd_tools() -> tuple[str, str]:
    missing = [module for module in ("scrapyd", "scrapyd_client") if find_spec(module) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not importable: install the test extras "
                    f"(pip install -e '.[test]'; `make test` does it)")
    return _executable("scrapyd"), _executable("scrapyd-deploy")


def _clean_env(**extra: str) -> dict[str, str]:
    # SCRAPY_* would pick the settings/project for the job; SCRAPYD_* override scrapyd.conf.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRAPY_", "SCRAPYD_"))}
    env.update(extra)
    return env


@dataclass
class Scrapyd:
    url: str
    home: Path  # its working directory: scrapyd.conf, and the cwd of every job
    process: subprocess.Popen
    output_file: Path
    env: dict

    @property
    def eggs_dir(self) -> Path:
        return self.home / "eggs"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def items_dir(self) -> Path:
        return self.home / "items"

    @property
    def output(self) -> str:
        return self.output_file.read_text("utf-8", errors="replace")

    def get(self, endpoint: str, **params) -> dict:
        query = f"?{urlencode(params)}" if params else ""
        with urlopen(f"{self.url}{endpoint}{query}", timeout=10) as response:
            return json.load(response)

    def post(self, endpoint: str, fields: list[tuple[str, str]]) -> dict:
        with urlopen(f"{self.url}{endpoint}", data=urlencode(fields).encode(), timeout=30) as response:
            return json.load(response)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory):
    scrapyd_bin, _ = _require_scrapyd_tools()
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    # Read from Scrapyd's working directory. HOME is moved there too, so a ~/.scrapyd.conf
    # (read after ./scrapyd.conf) cannot change the port or the directories.
    (home / "scrapyd.conf").write_text(f"""\
[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = {home / "eggs"}
logs_dir = {home / "logs"}
items_dir = {home / "items"}
dbs_dir = {home / "dbs"}
jobs_to_keep = 5
poll_interval = 0.2
max_proc = 2
""", "utf-8")
    env = _clean_env(HOME=str(home))
    output_file = home / "scrapyd.out"
    with output_file.open("wb") as out:
        process = subprocess.Popen([scrapyd_bin], cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Scrapyd(f"http://127.0.0.1:{port}/", home, process, output_file, env)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"scrapyd exited with status {process.returncode}:\n{server.output[-3000:]}")
            try:
                if server.get("daemonstatus.json").get("status") == "ok":
                    break
            except (URLError, ConnectionError, json.JSONDecodeError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"scrapyd did not answer on {server.url} within 30 s:\n{server.output[-3000:]}")
            time.sleep(0.1)
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def deployed(scrapyd):
    """`scrapyd-deploy env` from the repository, as an operator runs it."""
    _, deploy_bin = _require_scrapyd_tools()
    done = subprocess.run([deploy_bin, "env", "--version", "test-1"], cwd=REPO,
                          env=_clean_env(SCRAPYD_URL=scrapyd.url),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (f"scrapyd-deploy failed (run it with -d to see the egg build):\n"
                                  f"{done.stdout}\n{done.stderr}\n{scrapyd.output[-3000:]}")
    # scrapyd-deploy exits 0 whenever Scrapyd answers HTTP 200, even with {"status": "error"}
    # (for example an egg without the `scrapy` entry point `settings`: AttributeError ... module_name).
    response = json.loads(done.stdout)
    if response.get("status") != "ok":
        pytest.fail(f"Scrapyd refused the egg: {response.get('message', response)}\n"
                    "(does pyproject.toml declare [project.entry-points.scrapy]"
                    " settings = \"cable_crawler.settings\"?)",
                    pytrace=False)
    return response


@pytest.fixture(scope="module")
def site():
    """The fixture site with its article pages answered 1 s late: the job's page reader worker
    is ready (~0.25 s of imports) before the first comes, so the job's log shows it read them
    (on time, a small site's pages are read in the crawl's process while it starts)."""
    with FPSite(article_delay=1.0) as running:
        yield running


@pytest.fixture(scope="module")
def finished_job(site, scrapyd, deployed, tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("scrapyd-output")
    scheduled = scrapyd.post("schedule.json", [
        ("project", PROJECT), ("spider", SPIDER),
        ("base_url", site.url),  # a spider argument
        ("setting", f"CABLE_OUTPUT_DIR={output_dir}"),
        ("setting", "AUTOTHROTTLE_START_DELAY=0"),
    ])
    assert scheduled["status"] == "ok", scheduled
    job = scheduled["jobid"]
    log = scrapyd.logs_dir / PROJECT / SPIDER / f"{job}.log"
    deadline = time.monotonic() + JOB_TIMEOUT
    while True:
        jobs = scrapyd.get("listjobs.json", project=PROJECT)
        [entry] = [j for j in jobs["finished"] if j["id"] == job] or [None]
        if entry is not None:
            break
        if time.monotonic() > deadline:
            pytest.fail(f"job {job} not finished after {JOB_TIMEOUT} s: {jobs}\n"
                        f"{log.read_text('utf-8')[-3000:] if log.exists() else 'no job log'}\n"
                        f"{scrapyd.output[-3000:]}")
        time.sleep(0.25)
    return {"id": job, "entry": entry, "log": log, "output_dir": output_dir}


def test_deploy_uploads_an_egg_with_the_schema_and_the_settings_entry_point(scrapyd, deployed):
    # Scrapyd runs `scrapy list` on the egg when it is added: one spider found.
    assert (deployed["status"], deployed["project"], deployed["spiders"]) == ("ok", PROJECT, 1), deployed
    assert scrapyd.get("listspiders.json", project=PROJECT)["spiders"] == [SPIDER]
    [egg] = list((scrapyd.eggs_dir / PROJECT).glob("*.egg"))
    with zipfile.ZipFile(egg) as archive:
        names = set(archive.namelist())
        entry_points = archive.read("EGG-INFO/entry_points.txt").decode()
    assert "cable_crawler/schema/article.schema.json" in names
    assert "cable_crawler/spiders/cable.py" in names
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)
    assert "[scrapy]" in entry_points and "settings = cable_crawler.settings" in entry_points


def test_jobs_import_the_project_from_the_egg_not_the_checkout(scrapyd, deployed):
    """Scrapyd's runner activates the egg; the editable install must not shadow it."""
    code = ("from importlib import resources\n"
            "from scrapyd.runner import project_environment\n"
            f"with project_environment({PROJECT!r}):\n"
            "    import cable_crawler\n"
            "    print(cable_crawler.__file__)\n"
            "    schema = resources.files('cable_crawler').joinpath('schema/article.schema.json')\n"
            "    print(schema.read_text('utf-8')[:1])\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=scrapyd.home, env=scrapyd.env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    module_file, schema_start = done.stdout.splitlines()
    assert str(scrapyd.eggs_dir) in module_file and ".egg" in module_file, module_file
    assert schema_start == "{"


def test_scheduled_crawl_writes_every_article_once(site, finished_job):
    files = sorted(finished_job["output_dir"].glob("the-cable-*.jsonl"))
    assert len(files) == 1, (list(finished_job["output_dir"].iterdir()),
                             finished_job["log"].read_text("utf-8")[-3000:])
    assert not list(finished_job["output_dir"].glob("*.part"))
    articles = [json.loads(line) for line in files[0].read_text("utf-8").splitlines()]
    assert len(articles) == 7
    assert all("schema_version" in a for a in articles)
    assert all(a["url"].startswith(site.url + "/") for a in articles)
    assert max(Counter(a["url"] for a in articles).values()) == 1


def test_job_log_is_in_logs_dir_and_ends_with_the_summary(scrapyd, finished_job):
    job = finished_job["id"]
    log = finished_job["log"].read_text("utf-8")
    assert "crawl finished (finished)" in log
    assert "articles written: 7" in log
    assert "Traceback" not in log
    # The page reader's worker ran the deployed egg's code (it gets the job's sys.path)
    assert "'cable/reader/pages_in_worker'" in log and "in_process_fallback" not in log
    assert "pages_read_before_worker_ready" not in log
    # Scrapyd's own log: the crawl process exited with status 0.
    finished = [line for line in scrapyd.output.splitlines() if f"job={job!r}" in line]
    assert any("Process finished:" in line for line in finished), finished
    assert not any("Process died" in line for line in finished), finished


def test_items_dir_feed_has_the_same_articles(finished_job, scrapyd):
    # Scrapyd's items_dir adds a Scrapy feed (FEEDS) next to the project's own JSONL.
    [feed] = list((scrapyd.items_dir / PROJECT / SPIDER).glob(f"{finished_job['id']}.jl"))
    [out] = list(finished_job["output_dir"].glob("the-cable-*.jsonl"))
    urls = lambda path: sorted(json.loads(line)["url"] for line in path.read_text("utf-8").splitlines())  # noqa: E731
    assert urls(feed) == urls(out)
