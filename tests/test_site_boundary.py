"""One site-boundary rule (extraction/boundary.is_on_site): the `urls=` argument check and the
downloader middleware that refuses off-site requests agree on every URL."""

from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler

from cable_crawler.crawl.args import ArgumentError, parse_args
from cable_crawler.middlewares import SameSiteMiddleware

BASES = ["https://foreignpolicy.com", "http://127.0.0.1:8765", "https://staging.example:8443"]
URLS = [
    "https://foreignpolicy.com/2021/01/01/x/",
    "http://foreignpolicy.com/2021/01/01/x/",
    "https://foreignpolicy.com:443/x/",
    "http://foreignpolicy.com:80/x/",
    "https://foreignpolicy.com:8443/x/",
    "https://www.foreignpolicy.com/x/",
    "https://www.foreignpolicy.com:8443/x/",
    "http://thecable.foreignpolicy.com/posts/2013/05/02/x",
    "https://thecable.foreignpolicy.com:8443/posts/2013/05/02/x",
    "https://a.b.foreignpolicy.com/x/",
    "https://evilforeignpolicy.com/x/",
    "https://foreignpolicy.com.evil.example/x/",
    "http://127.0.0.1:8765/x/",
    "http://127.0.0.1:9999/x/",
    "http://127.0.0.1/x/",
    "http://www.127.0.0.1:8765/x/",
    "http://localhost:8765/x/",
    "http://10.0.0.1/x/",
    "https://staging.example:8443/x/",
    "https://staging.example/x/",
    "https://sub.staging.example:8443/x/",
    "https://www.staging.example:8443/x/",
]


def middleware_allows(url: str, base: str) -> bool:
    crawler = get_crawler()
    crawler.spider = SimpleNamespace(args=SimpleNamespace(base_url=base), splash_url=None)
    middleware = SameSiteMiddleware.from_crawler(crawler)
    try:
        middleware.process_request(Request(url))
    except IgnoreRequest:
        return False
    return True


def argument_accepted(url: str, base: str) -> bool:
    try:
        parse_args(base_url=base, urls=url)
    except ArgumentError:
        return False
    return True


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("url", URLS)
def test_urls_argument_and_middleware_agree(url, base):
    assert argument_accepted(url, base) is middleware_allows(url, base)


def test_a_subdomain_on_another_port_is_an_argument_error():
    # It was accepted, then refused by the middleware: a reject instead of an argument error.
    with pytest.raises(ArgumentError, match="not on the crawled site"):
        parse_args(urls="https://thecable.foreignpolicy.com:8443/posts/2013/05/02/x")


def test_off_site_is_refused_even_for_dont_filter_and_allow_offsite():
    # Retries are dont_filter, and a redirect copies the flag: Scrapy's own rule would let them pass.
    base = "http://127.0.0.1:8765"
    crawler = get_crawler()
    crawler.spider = SimpleNamespace(args=SimpleNamespace(base_url=base), splash_url=None)
    middleware = SameSiteMiddleware.from_crawler(crawler)
    for request in (Request("http://127.0.0.1:9999/x/", dont_filter=True),
                    Request("http://evil.example/x/", meta={"allow_offsite": True})):
        with pytest.raises(IgnoreRequest, match="off-site URL refused"):
            middleware.process_request(request)
    assert crawler.stats.get_value("cable/offsite_refused") == 2


def _run(code: str) -> str:
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if not k.startswith("TLDEXTRACT_")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


PATCHED = ("import scrapy.utils.url, os; from scrapy.core.downloader import Downloader;"
           " print(hasattr(scrapy.utils.url, 'canonicalize_url'), hasattr(Downloader, '_get_slot_key'),"
           " 'TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS' in os.environ)")


def test_importing_the_package_patches_nothing():
    assert _run("import cable_crawler.extraction.processors, cable_crawler.crawl.args, cable_crawler.items;"
                + PATCHED) == "False False False"


def test_the_splash_shim_applies_where_scrapy_splash_is_loaded():
    assert _run("import cable_crawler.crawl.splash;" + PATCHED).startswith("True True")
    assert _run("import cable_crawler.settings;" + PATCHED).endswith("True")


def test_every_cable_setting_default_is_written_only_in_settings_py():
    """A getter repeats no literal default: settings.getint("CABLE_X", 5) or
    settings.get("CABLE_X") or "x" would drift from settings.py."""
    import ast
    from pathlib import Path

    import cable_crawler

    def cable_getter(node) -> bool:
        return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr.startswith("get") and node.args
                and isinstance(node.args[0], ast.Constant) and str(node.args[0].value).startswith("CABLE_"))

    found = []
    root = Path(cable_crawler.__file__).parent
    for path in sorted(root.rglob("*.py")):
        if path.name == "settings.py" and path.parent == root:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            literal = None
            if cable_getter(node):
                defaults = node.args[1:] + [k.value for k in node.keywords if k.arg == "default"]
                literal = next((d for d in defaults if isinstance(d, ast.Constant)), None)
            elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and cable_getter(node.values[0]):
                literal = next((v for v in node.values[1:] if isinstance(v, ast.Constant)), None)
            elif isinstance(node, ast.Dict):
                literal = next((v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant)
                                and str(k.value).startswith("CABLE_") and isinstance(v, ast.Constant)), None)
            if literal is not None:
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not found, f"literal CABLE_* defaults outside settings.py: {found}"
