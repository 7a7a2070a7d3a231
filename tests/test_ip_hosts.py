"""A site at an IP address (base_url=http://127.0.0.1:8765) has no 'www.' variant
and no subdomains: www.127.0.0.1 is a DNS name, another host. Table-driven."""

from __future__ import annotations

import pytest

from cable_crawler.crawl.args import ArgumentError, parse_args
from cable_crawler.extraction.boundary import same_site
from cable_crawler.extraction.boundary import is_on_site
from cable_crawler.extraction.processors import canonical_url, is_ip_address, without_www

pytestmark = pytest.mark.reliability


@pytest.mark.parametrize("host, expected", [
    ("127.0.0.1", True), ("10.1.2.3", True), ("::1", True), ("[::1]", True), ("[2001:db8::1]", True),
    ("127.1", True), ("0x7f.1", True),            # read as IPv4 by URL parsers: the last label is a number
    ("www.127.0.0.1", True),                      # ends in a number too: no DNS name has a numeric TLD
    ("foreignpolicy.com", False), ("www.foreignpolicy.com", False), ("1password.com", False),
    ("localhost", False), ("", False),
])
def test_is_ip_address(host, expected):
    assert is_ip_address(host) is expected


@pytest.mark.parametrize("host, expected", [
    ("www.foreignpolicy.com", "foreignpolicy.com"),
    ("www.www.foreignpolicy.com", "foreignpolicy.com"),
    ("foreignpolicy.com", "foreignpolicy.com"),
    ("127.0.0.1", "127.0.0.1"),
    ("www.127.0.0.1", "www.127.0.0.1"),           # never stripped into an address
    ("www.www.10.0.0.1", "www.www.10.0.0.1"),
    ("[::1]", "[::1]"),
])
def test_without_www(host, expected):
    assert without_www(host) == expected


@pytest.mark.parametrize("url, expected", [
    ("http://www.127.0.0.1:8765/2021/06/02/x/", "http://www.127.0.0.1:8765/2021/06/02/x/"),
    ("http://127.0.0.1:8765/2021/06/02/x", "http://127.0.0.1:8765/2021/06/02/x/"),
    ("https://WWW.ForeignPolicy.com/2021/06/02/x/", "https://foreignpolicy.com/2021/06/02/x/"),
])
def test_canonical_url_keeps_www_before_an_address(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize("host, site, expected", [
    ("127.0.0.1", "127.0.0.1", True),
    ("www.127.0.0.1", "127.0.0.1", False),
    ("x.127.0.0.1", "127.0.0.1", False),          # an address has no subdomains
    ("127.0.0.1", "www.127.0.0.1", False),
    ("www.foreignpolicy.com", "foreignpolicy.com", True),
    ("thecable.foreignpolicy.com", "foreignpolicy.com", True),
])
def test_same_site_for_addresses(host, site, expected):
    assert same_site(host, site) is expected


@pytest.mark.parametrize("url, base, expected", [
    ("http://127.0.0.1:8765/x/", "http://127.0.0.1:8765", True),
    ("http://www.127.0.0.1:8765/x/", "http://127.0.0.1:8765", False),
    ("http://www.127.0.0.1/x/", "http://127.0.0.1", False),
    ("http://x.127.0.0.1/x/", "http://127.0.0.1", False),
    ("http://www.10.0.0.1/x/", "http://10.0.0.1", False),
    ("http://[::1]:8765/x/", "http://[::1]:8765", True),
    ("https://www.foreignpolicy.com/x/", "https://foreignpolicy.com", True),
])
def test_is_on_site_for_addresses(url, base, expected):
    assert is_on_site(url, base) is expected


@pytest.mark.parametrize("urls", ["http://www.127.0.0.1:8765/2021/06/02/x/", "http://x.127.0.0.1/2021/06/02/x/"])
def test_urls_argument_refuses_www_before_an_address(urls):
    with pytest.raises(ArgumentError, match="is not on the crawled site"):
        parse_args(base_url="http://127.0.0.1:8765", urls=urls)
