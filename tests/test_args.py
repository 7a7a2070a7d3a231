"""Spider arguments: parsed values, and bad values rejected with a message naming them."""

from datetime import date

import pytest

from cable_crawler.crawl.args import ArgumentError, parse_args
from cable_crawler.extraction.boundary import same_site


@pytest.mark.parametrize("kwargs, attribute, expected", [
    ({}, "base_url", "https://foreignpolicy.com"),
    ({"base_url": "http://127.0.0.1:8765/"}, "base_url", "http://127.0.0.1:8765"),
    ({"since": "2016-08-01"}, "since", date(2016, 8, 1)),
    ({"until": " 2016-08-31 "}, "until", date(2016, 8, 31)),
    ({"max_pages": "3"}, "max_pages", 3),
    ({"urls": "https://foreignpolicy.com/2016/08/04/a/, https://foreignpolicy.com/2016/08/05/b/"},
     "urls", ("https://foreignpolicy.com/2016/08/04/a/", "https://foreignpolicy.com/2016/08/05/b/")),
    ({"urls": "http://thecable.foreignpolicy.com/posts/2013/05/02/x"}, "urls",
     ("http://thecable.foreignpolicy.com/posts/2013/05/02/x",)),
    ({"_job": "abc123"}, "max_pages", None),  # Scrapyd's job id is not an error
])
def test_parse_args_values(kwargs, attribute, expected):
    assert getattr(parse_args(**kwargs), attribute) == expected


@pytest.mark.parametrize("kwargs, message", [
    ({"since": "yesterday"}, "since='yesterday' is not an ISO date"),
    ({"until": "2016-13-01"}, "until='2016-13-01' is not an ISO date"),
    ({"since": "2016-09-01", "until": "2016-08-01"}, "since=2016-09-01 is after until=2016-08-01"),
    ({"max_pages": "two"}, "max_pages='two' is not a whole number"),
    ({"max_pages": "0"}, "max_pages='0' must be 1 or more"),
    ({"base_url": "foreignpolicy.com"}, "base_url='foreignpolicy.com' must be a site root"),
    ({"base_url": "https://foreignpolicy.com/channel/the-cable/"}, "must be a site root"),
    ({"urls": "not-a-url"}, "urls: 'not-a-url' is not an absolute http(s) URL"),
    ({"urls": "https://example.com/2016/08/04/x/"}, "is not on the crawled site"),
    ({"base_url": "http://127.0.0.1:8765", "urls": "http://127.0.0.1:9999/2016/08/04/x/"},
     "is not on the crawled site"),
    ({"urls": " , "}, "urls is empty"),
    ({"sinse": "2016-01-01"}, "unknown argument(s): sinse"),
])
def test_parse_args_errors(kwargs, message):
    with pytest.raises(ArgumentError) as error:
        parse_args(**kwargs)
    assert message in str(error.value)


@pytest.mark.parametrize("since, until, day, expected", [
    (None, None, date(2000, 1, 1), True),
    ("2016-08-01", None, date(2016, 8, 1), True),
    ("2016-08-01", None, date(2016, 7, 31), False),
    (None, "2016-08-31", date(2016, 9, 1), False),
    ("2016-08-01", "2016-08-31", None, True),  # unknown date: let the article page decide
])
def test_in_window(since, until, day, expected):
    assert parse_args(since=since, until=until).in_window(day) is expected


@pytest.mark.parametrize("host, site, expected", [
    ("foreignpolicy.com", "foreignpolicy.com", True),
    ("thecable.foreignpolicy.com", "foreignpolicy.com", True),
    ("www.foreignpolicy.com", "foreignpolicy.com", True),
    ("notforeignpolicy.com", "foreignpolicy.com", False),
    ("foreignpolicy.com.evil.net", "foreignpolicy.com", False),
])
def test_same_site(host, site, expected):
    assert same_site(host, site) is expected
