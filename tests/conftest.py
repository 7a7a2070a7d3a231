"""Shared fixtures: the FP-shaped site on 127.0.0.1 and a real `scrapy crawl` runner."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fpsite import FPSite, free_port  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

# For unit tests' get_crawler(): the incremental component among the extensions, as in a real
# crawl (settings.py); the spider and the pipelines find it with crawler.get_extension().
INCREMENTAL = {"EXTENSIONS": {"cable_crawler.incremental.component.IncrementalCrawl": 0}}


def collect(output) -> list:
    """What a spider callback gives: a generator's objects, or an async generator's that never
    waits (parse_article reads in the test's own process when no crawl runs the PageReader)."""
    if not inspect.isasyncgen(output):
        return list(output)
    objects = []
    while True:
        step = output.__anext__()
        try:
            step.send(None)
        except StopIteration as given:
            objects.append(given.value)
        except StopAsyncIteration:
            return objects
        else:
            step.close()
            raise AssertionError("the callback waited: without a crawl it must read in this process")


@pytest.fixture(scope="session")
def site():
    with FPSite() as running:
        yield running


@dataclass
class CrawlResult:
    returncode: int
    log: str
    output_dir: Path

    def _lines(self, pattern: str) -> list[dict]:
        files = sorted(self.output_dir.glob(pattern))
        return [json.loads(line) for f in files for line in f.read_text("utf-8").splitlines()]

    @property
    def articles(self) -> list[dict]:
        return self._lines("the-cable-*.jsonl")

    @property
    def rejects(self) -> list[dict]:
        return self._lines("rejects-*.jsonl")


def crawl_command(output_dir: Path, *args: str, settings: dict | None = None, extra: list[str] = ()) -> list[str]:
    """`scrapy crawl cable` as an operator runs it; crawl state beside the output dir."""
    command = [sys.executable, "-m", "scrapy", "crawl", "cable", "-s", f"CABLE_OUTPUT_DIR={output_dir}",
               "-s", f"CABLE_STATE_DIR={Path(output_dir).parent / 'state'}",
               "-s", "CABLE_RETRY_BACKOFF_BASE=0.05",
               "-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "LOG_LEVEL=INFO"]
    for name, value in (settings or {}).items():
        command += ["-s", f"{name}={value}"]
    for arg in args:
        command += ["-a", arg]
    return command + list(extra)


def crawl_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}


def scrapy_crawl(output_dir: Path, *args: str, settings: dict | None = None, extra: list[str] = (),
                 timeout: int = 300) -> CrawlResult:
    """Runs `scrapy crawl cable` from the repository root and collects what it wrote."""
    command = crawl_command(output_dir, *args, settings=settings, extra=extra)
    done = subprocess.run(command, cwd=REPO, env=crawl_env(), capture_output=True, text=True, timeout=timeout)
    return CrawlResult(done.returncode, done.stdout + done.stderr, Path(output_dir))


@pytest.fixture
def crawler(tmp_path):
    """A crawler (no engine) with the incremental component, its output in tmp_path/output
    and its crawl state in tmp_path/state: for pipeline and component tests."""
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(Spider, {**INCREMENTAL, "CABLE_OUTPUT_DIR": str(tmp_path / "output"),
                                   "CABLE_STATE_DIR": str(tmp_path / "state")})
    crawler.spider = Spider(name="cable")
    return crawler


@pytest.fixture
def crawl(tmp_path):
    def run(*args: str, **kwargs) -> CrawlResult:
        return scrapy_crawl(tmp_path / "output", *args, **kwargs)
    return run


@pytest.fixture(scope="session", autouse=True)
def repository_stays_clean():
    """Tests write only under tmp: never into the repository's output/ or state/."""
    def contents():
        return {p for d in ("output", "state") for p in (REPO / d).rglob("*") if p.name != ".gitkeep"}
    before = contents()
    yield
    assert contents() == before, f"tests wrote into the repository: {sorted(map(str, contents() - before))}"


@pytest.fixture(scope="session")
def splash(tmp_path_factory):
    """A real Splash 3.5 on 127.0.0.1 (scripts/splash.sh: Debian packages + PyPI), its URL;
    the test is skipped, with the reason, only where the Debian packages cannot be installed."""
    script = REPO / "scripts" / "splash.sh"
    install = subprocess.run(["bash", str(script), "install"], capture_output=True, text=True, timeout=1200)
    if install.returncode == 3:
        pytest.skip(install.stderr.strip().splitlines()[-1])
    assert install.returncode == 0, install.stdout + install.stderr
    env = {**os.environ, "SPLASH_RUN_DIR": str(tmp_path_factory.mktemp("splash-run"))}
    port = free_port()
    started = subprocess.run(["bash", str(script), "start", str(port)], capture_output=True, text=True,
                             env=env, timeout=120)
    assert started.returncode == 0, started.stdout + started.stderr
    yield f"http://127.0.0.1:{port}"
    subprocess.run(["bash", str(script), "stop"], env=env, timeout=60)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium (scripts/chromium.sh), its path; skipped, with the reason, only where
    the Debian package cannot be installed."""
    script = REPO / "scripts" / "chromium.sh"
    install = subprocess.run(["bash", str(script), "install"], capture_output=True, text=True, timeout=1200)
    if install.returncode == 3:
        pytest.skip(install.stderr.strip().splitlines()[-1])
    assert install.returncode == 0, install.stdout + install.stderr
    return subprocess.run(["bash", str(script), "path"], capture_output=True, text=True, check=True).stdout.strip()
