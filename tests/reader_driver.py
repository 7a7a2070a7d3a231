"""Drives crawl/page_reader.PageReader with real worker processes under Scrapy's asyncio
reactor, one scenario per run (a reactor runs once per process):

    python tests/reader_driver.py SCENARIO

prints one JSON object: what each page handed to the reader gave, the reader's stats and
the worker processes' ids (tests/test_page_reader.py asserts on it).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

from scrapy.utils.reactor import install_reactor

install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")

from scrapy import Spider  # noqa: E402
from scrapy.http import HtmlResponse  # noqa: E402
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402
from twisted.internet import defer, task  # noqa: E402

from cable_crawler.crawl import page_reader  # noqa: E402
from cable_crawler.crawl.page_reader import CrawlPages, PageReader, read_response  # noqa: E402

TESTS = Path(__file__).resolve().parent
SITE = TESTS / "site"
BASE = "https://foreignpolicy.com"


def article_pages() -> list[HtmlResponse]:
    """Every article page of the loopback site and the saved pages, as the crawl gets them."""
    responses = []
    for path in sorted(SITE.glob("20*/*/*/*/index.html")):
        url = f"{BASE}/{path.parent.relative_to(SITE).as_posix()}/"
        responses.append(HtmlResponse(url, body=path.read_bytes(), headers={"Content-Type": "text/html"}))
    for meta in sorted((TESTS / "pages").glob("*/*/meta.json")):
        info = json.loads(meta.read_text("utf-8"))
        if info["layout"] != "listing":
            responses.append(HtmlResponse(info["url"], body=(meta.parent / "page.html").read_bytes(),
                                          headers={"Content-Type": info["content_type"]}))
    return responses


def outcome(read) -> dict:
    if read.item is not None:
        return {"item": {k: v for k, v in dict(read.item).items() if k != "crawled_at"}, "layout": read.layout,
                "cuts": read.cuts, "canonical_ignored": list(read.canonical_ignored or ()) or None}
    return {"abandoned": read.abandoned, "by_shutdown": read.by_shutdown, "error": read.error, "retry": read.retry}


async def wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("waited too long")
        await asyncio.sleep(0.02)


class Run:
    def __init__(self, processes: int, settings: dict | None = None):
        self.crawler = get_crawler(Spider, {"CABLE_READER_PROCESSES": processes, **(settings or {})})
        self.crawler.crawling = True
        self.reader = PageReader.from_crawler(self.crawler)
        self.pages = CrawlPages()
        self.pids: list[int] = []

    def start(self) -> None:
        self.reader.get_ready()
        self.note_pids()

    def note_pids(self) -> None:
        for worker in self.reader.workers:
            if worker.transport.pid not in self.pids:
                self.pids.append(worker.transport.pid)

    async def ready(self) -> None:
        await wait_for(lambda: self.reader.workers and all(w.ready for w in self.reader.workers))
        self.note_pids()

    def hand(self, response, limit: float = 10.0):
        read = self.reader.read(response, "The Cable", None, self.pages, limit, False)
        return read if isinstance(read, defer.Deferred) else defer.succeed(read)

    async def answers(self, deferreds) -> list[dict]:
        results = []
        for d in deferreds:
            results.append(outcome(await maybe_deferred_to_future(d)))
            self.note_pids()
        return results

    async def close(self) -> dict:
        await self.reader.spider_closed(None)
        stats = {k: v for k, v in self.crawler.stats.get_stats().items() if k.startswith("cable/reader/")}
        alive = [pid for pid in self.pids if os.path.exists(f"/proc/{pid}") and not zombie(pid)]
        return {"stats": stats, "pids": self.pids, "alive_after_close": alive}


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return False


async def same_items() -> dict:
    """Every article page read by two workers and in this process: the same items."""
    run = Run(processes=2)
    run.start()
    await run.ready()
    pages = article_pages()
    here = [outcome(read_response(r, "The Cable", None, run.pages, 10.0, False)) for r in pages]
    there = await run.answers([run.hand(r) for r in pages])
    return {"pages": len(pages), "same": here == there,
            "differ": [r.url for r, a, b in zip(pages, here, there) if a != b], **(await run.close())}


async def stalled_worker() -> dict:
    """A worker that stops answering (SIGSTOP: as one long C call) is killed by the watchdog."""
    page_reader.READER_GRACE_SECONDS = 0.3
    run = Run(processes=1)
    run.start()
    await run.ready()
    first, second = article_pages()[:2]
    os.kill(run.pids[0], signal.SIGSTOP)
    started = time.monotonic()
    answers = await run.answers([run.hand(first, limit=0.5), run.hand(second, limit=0.5)])
    return {"answers": answers, "seconds": time.monotonic() - started, **(await run.close())}


async def crashing_worker() -> dict:
    """A worker killed from outside while it holds pages: the page it read fails (retry),
    the others go to a new worker; after READER_RESTARTS such ends, pages are read here."""
    run = Run(processes=1)
    run.start()
    pages = article_pages()
    answers = []
    for crash in range(page_reader.READER_RESTARTS + 1):
        await run.ready()
        pid = run.reader.workers[0].transport.pid
        os.kill(pid, signal.SIGSTOP)  # so that both pages are still waiting when it dies
        pending = [run.hand(pages[2 * crash]), run.hand(pages[2 * crash + 1])]
        os.kill(pid, signal.SIGKILL)
        answers.append(await run.answers(pending))
        if not run.reader.processes:
            break
    return {"answers": answers, "processes_after": run.reader.processes, **(await run.close())}


def padded(response: HtmlResponse) -> HtmlResponse:
    """The page made larger than EARLY_PAGE_BYTES (a comment after it): it waits for a worker."""
    return response.replace(body=response.body + b"<!-- " + b"x" * page_reader.EARLY_PAGE_BYTES + b" -->")


async def worker_cannot_start() -> dict:
    """A worker that exits before it is ready: the pages waiting for it are read here, once
    said at ERROR."""
    sys.executable = "/bin/false"
    run = Run(processes=1)
    run.start()
    pages = [padded(r) for r in article_pages()[:3]]
    answers = await run.answers([run.hand(r) for r in pages])
    here = [outcome(read_response(r, "The Cable", None, run.pages, 10.0, False)) for r in pages]
    return {"same_as_here": answers == here, "processes_after": run.reader.processes, **(await run.close())}


async def canonical_claims() -> dict:
    """A worker reads each page with the crawl's article URLs known when the page was handed
    over: a canonical link naming another page of the crawl is not trusted, as in this process."""
    run = Run(processes=1)
    run.start()
    await run.ready()
    page = article_pages()[0]  # its canonical link names its own URL
    copy = page.replace(url=f"{BASE}/2021/06/02/a-copy/")
    before = run.hand(copy)   # the canonical page is not one of the crawl's: the copy is written under it
    run.pages.add(page.url)
    after = run.hand(copy)    # now it is: the copy is written under its own URL
    answers = await run.answers([before, after])
    here = outcome(read_response(copy, "The Cable", None, run.pages, 10.0, False))
    return {"canonical": page.url, "copy": copy.url, "urls": [a["item"]["url"] for a in answers],
            "ignored": [a["canonical_ignored"] for a in answers], "after_same_as_here": answers[1] == here,
            **(await run.close())}


async def pages_ahead() -> dict:
    """A worker holds at most PAGES_AHEAD pages; the others wait in the crawl's process, and
    every page is answered, in the order handed over."""
    run = Run(processes=1)
    run.start()
    await run.ready()
    os.kill(run.pids[0], signal.SIGSTOP)
    pages = article_pages()[:20]
    pending = [run.hand(r) for r in pages]
    held, queued = len(run.reader.workers[0].waiting), len(run.reader.queued)
    os.kill(run.pids[0], signal.SIGCONT)
    answers = await run.answers(pending)
    return {"held": held, "queued": queued, "ahead": page_reader.PAGES_AHEAD,
            "urls_in_order": [a["item"]["url"] for a in answers] == [r.url for r in pages]
            or [a["item"]["url"] for a in answers], **(await run.close())}


async def closed_while_reading() -> dict:
    """The crawl closes (a forced stop) while pages wait: each is answered as unread, the
    worker's late answers are ignored, and it ends."""
    from twisted.internet import reactor

    run = Run(processes=1)
    run.start()
    await run.ready()
    os.kill(run.pids[0], signal.SIGSTOP)
    pending = [run.hand(r) for r in article_pages()[:6]]
    reactor.callLater(0.5, os.kill, run.pids[0], signal.SIGCONT)  # it answers after the close
    closed = await run.close()
    return {"answers": await run.answers(pending), **closed}


async def early_pages() -> dict:
    """Until the worker is ready, a page of ordinary size is read here at once (no Deferred), a
    larger one waits for the worker; once it is ready, every page goes to it."""
    run = Run(processes=1)
    run.start()
    small = article_pages()[:5]
    big = padded(small[0].replace(url=f"{BASE}/2021/06/02/a-large-copy/"))
    early = [run.reader.read(r, "The Cable", None, run.pages, 10.0, False) for r in small[:3]]
    waiting = run.hand(big)
    ready_when_handed = any(w.ready for w in run.reader.workers)
    await run.ready()
    later = [run.hand(r) for r in small[3:]]
    answers = [outcome(read) for read in early if not isinstance(read, defer.Deferred)]
    answers += await run.answers([waiting, *later])
    here = [outcome(read_response(r, "The Cable", None, run.pages, 10.0, False)) for r in [*small[:3], big, *small[3:]]]
    return {"read_at_once": sum(not isinstance(read, defer.Deferred) for read in early),
            "ready_when_handed": ready_when_handed, "same_as_here": answers == here, **(await run.close())}


SCENARIOS = {f.__name__: f for f in (same_items, early_pages, stalled_worker, crashing_worker, worker_cannot_start,
                                     canonical_claims, pages_ahead, closed_while_reading)}


def main(reactor, name: str):
    async def run():
        print(json.dumps(await SCENARIOS[name](), default=str))
    return deferred_from_coro(run())


if __name__ == "__main__":
    task.react(main, [sys.argv[1]])
