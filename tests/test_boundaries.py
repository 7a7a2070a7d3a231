"""Pure helpers of the reliability layer: retry timing, site boundary, encodings, file names."""

from datetime import datetime, timezone

import pytest

from cable_crawler.extraction.boundary import is_on_site
from cable_crawler.middlewares import backoff_delay, retry_after_seconds
from cable_crawler.incremental.outputs import OutputPathError, file_name
from cable_crawler.extraction.pages.encoding import corrected_encoding

pytestmark = pytest.mark.reliability

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("value, expected", [
    ("120", 120.0), (b"3", 3.0), ("Wed, 25 Nov 2026 12:00:30 GMT", 30.0),
    ("Wed, 25 Nov 2026 11:00:00 GMT", 0.0), ("soon", None), ("", None), (None, None),
])
def test_retry_after_seconds(value, expected):
    assert retry_after_seconds(value, now=NOW) == expected


@pytest.mark.parametrize("retry, base, cap, retry_after, jitter, expected", [
    (1, 1.0, 60, None, 1.0, 1.0), (2, 1.0, 60, None, 1.0, 2.0), (4, 1.0, 60, None, 1.0, 8.0),
    (10, 1.0, 60, None, 1.0, 60.0),          # capped
    (1, 1.0, 60, 30.0, 1.0, 30.0),           # the server asks for longer
    (3, 1.0, 60, 0.5, 1.0, 4.0),             # backoff longer than Retry-After
    (1, 1.0, 60, 3600.0, 1.0, 60.0),         # Retry-After capped too
    (2, 1.0, 60, None, 0.5, 1.0),            # jitter
])
def test_backoff_delay(retry, base, cap, retry_after, jitter, expected):
    assert backoff_delay(retry, base, cap, retry_after, jitter) == expected


@pytest.mark.parametrize("url, base, expected", [
    ("https://foreignpolicy.com/2021/x/", "https://foreignpolicy.com", True),
    ("http://thecable.foreignpolicy.com/posts/2013/05/02/x", "https://foreignpolicy.com", True),
    ("https://www.foreignpolicy.com/x/", "https://foreignpolicy.com", True),
    ("https://foreignpolicy.com:8443/x/", "https://foreignpolicy.com", False),
    ("https://evilforeignpolicy.com/x/", "https://foreignpolicy.com", False),
    ("http://127.0.0.1:8765/x/", "http://127.0.0.1:8765", True),
    ("http://127.0.0.1:9999/x/", "http://127.0.0.1:8765", False),
    ("http://localhost:8765/x/", "http://127.0.0.1:8765", False),
    ("http://10.0.0.1/x/", "http://127.0.0.1:8765", False),
    ("http://192.168.1.1/admin", "https://foreignpolicy.com", False),
    ("ftp://foreignpolicy.com/x", "https://foreignpolicy.com", False),
    ("http://127.0.0.1:bad/x/", "http://127.0.0.1:8765", False),
])
def test_is_on_site(url, base, expected):
    assert is_on_site(url, base) is expected


@pytest.mark.parametrize("body, declared, expected", [
    ("\u201cquote\u201d".encode("cp1252"), "utf-8", "cp1252"),
    ("caf\u00e9".encode("utf-8"), "iso-8859-1", "utf-8"),
    ("caf\u00e9".encode("utf-8"), "cp1252", "utf-8"),
    ("caf\u00e9".encode("utf-8"), "utf-8", None),
    (b"plain ascii", "cp1252", None),
    ("caf\u00e9".encode("latin-1"), "latin-1", None),
])
def test_corrected_encoding(body, declared, expected):
    assert corrected_encoding(body, declared) == expected


@pytest.mark.parametrize("template, expected", [
    ("the-cable-{stamp}.jsonl", "the-cable-2026.jsonl"),
    ("../x-{stamp}.jsonl", OutputPathError),
    ("sub/x-{stamp}.jsonl", OutputPathError),
    ("..", OutputPathError),
    ("{title}.jsonl", OutputPathError),
    ("{stamp!r:>{x}}", OutputPathError),
])
def test_file_name(template, expected):
    if expected is OutputPathError:
        with pytest.raises(OutputPathError):
            file_name("CABLE_JSONL_FILE", template, "2026")
    else:
        assert file_name("CABLE_JSONL_FILE", template, "2026") == expected
