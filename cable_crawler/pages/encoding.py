"""Pages whose bytes contradict their declared charset.

Scrapy decodes with the declared charset (HTTP header, then <meta>), replacing
bytes it cannot decode. Two real-world mistakes are corrected here, from the
bytes themselves:
- cp1252 text declared UTF-8 (invalid UTF-8 bytes: \\x93 for a curly quote):
  decoded as cp1252 instead of turning into U+FFFD;
- UTF-8 text declared cp1252/latin-1 (valid UTF-8 with multi-byte characters):
  decoded as UTF-8 instead of turning into mojibake (â€™).
"""

from __future__ import annotations

_UTF8_NAMES = {"utf-8", "utf8"}
_SINGLE_BYTE_NAMES = {"cp1252", "windows-1252", "latin-1", "latin1", "iso-8859-1", "iso8859-1", "ascii",
                      "us-ascii"}


def corrected_encoding(body: bytes, declared: str | None) -> str | None:
    """The encoding to decode `body` with, when it is not the declared one; else None."""
    declared = (declared or "").lower().replace("_", "-")
    try:
        body.decode("utf-8")
        valid_utf8 = True
    except UnicodeDecodeError:
        valid_utf8 = False
    if valid_utf8 and declared in _SINGLE_BYTE_NAMES and any(byte > 0x7F for byte in body):
        return "utf-8"
    if not valid_utf8 and declared in _UTF8_NAMES:
        return "cp1252"
    return None


def redecoded(response):
    """The same response, decoded with the encoding its bytes show (or itself)."""
    encoding = corrected_encoding(response.body, getattr(response, "encoding", None))
    return response.replace(encoding=encoding) if encoding else response
