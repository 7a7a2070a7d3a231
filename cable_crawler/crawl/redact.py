"""Keeps credentials out of logs.

Scrapy logs the overridden settings at start-up (`-s SPLASH_PASS=...` would be
printed) and URLs in errors (`http://user:pass@proxy/`). This extension adds a
filter to the log handlers before that first log line: values of secret-looking
settings (PASS, SECRET, TOKEN, KEY, AUTH, USER in the name), credentials in
URLs, and Authorization header values are replaced by ***.
"""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import urlsplit

from scrapy.settings import SETTINGS_PRIORITIES

SECRET_NAME_RE = re.compile(r"PASS|SECRET|TOKEN|API_?KEY|AUTH|CREDENTIAL|_USER$|^SPLASH_USER$", re.IGNORECASE)
# Every run is bounded ({1,256}, a scheme {0,31}): with `+`, a match tried at each position of
# a long text without spaces (a 3 MB paragraph in a rejected item, a data: URI) scanned the
# rest of it each time: quadratic, 20,000 characters took 1.3 s and 3 MB hours. Bounded, a
# scan is linear; a user name or password longer than 256 characters is not recognized.
URL_CREDENTIALS_RE = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]{0,31}://)[^/\s:@'\"]{1,256}(?::[^/\s@'\"]{0,256})?@",
                                re.IGNORECASE)
# The same without a scheme, as error messages quote it: "invalid hostname: user:pass@host"
BARE_CREDENTIALS_RE = re.compile(r"(?<![\w/:@])[^\s/:@'\"]{1,256}:[^\s/@'\"]{1,256}@(?=[\w.\[-])")
AUTH_HEADER_RE = re.compile(
    r"((?:Proxy-)?Authorization['\"]?\s*[:=,]\s*\[?\s*(?:b?['\"])?)(?:(?:Basic|Bearer|Digest)\s+)?[^'\"\],\s]+",
    re.IGNORECASE)
# Named like secrets, but not secret: HTTPAUTH_DOMAIN is the crawled host, *_AUTH_ENCODING a charset.
NOT_SECRET_NAME_RE = re.compile(r"_DOMAIN$|_ENCODING$", re.IGNORECASE)
MASK = "***"


def redact(text: str, secrets: list[str] = ()) -> str:
    if "@" in text:  # both credential patterns end in "@": most texts need neither scan
        text = URL_CREDENTIALS_RE.sub(lambda m: m.group("scheme") + MASK + "@", text)
        text = BARE_CREDENTIALS_RE.sub(MASK + "@", text)
    text = AUTH_HEADER_RE.sub(lambda m: m.group(1) + MASK, text)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def redact_record(value, secrets: list[str] = ()):
    """redact() applied to every string in a JSON-like value: what the log hides
    (URL credentials, secret settings) stays out of the rejects file too."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {key: redact_record(item, secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_record(item, secrets) for item in value]
    return value


def secret_values(settings, environ=os.environ) -> list[str]:
    """The values to hide: secret-looking settings and proxy credentials."""
    values = []
    names = settings.attributes if hasattr(settings, "attributes") else settings
    for name in [n for n in names if SECRET_NAME_RE.search(n) and not NOT_SECRET_NAME_RE.search(n)]:
        if hasattr(settings, "getpriority") and (settings.getpriority(name) or 0) <= SETTINGS_PRIORITIES["default"]:
            continue  # Scrapy's own defaults (FTP_USER 'anonymous', 'latin-1') are public, not secrets
        value = settings.get(name)
        if isinstance(value, str) and value:
            values.append(value)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        parts = urlsplit(environ.get(name, ""))
        values += [v for v in (parts.username, parts.password) if v]
    return [v for v in values if len(v) >= 3]  # shorter values would mask ordinary text


class SecretsFilter(logging.Filter):
    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.secrets)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


class RedactSecrets:
    """Extension: puts the filter on every handler of the root logger, when it is
    built (before Scrapy logs the overridden settings) and again when the spider
    opens (Scrapy replaces its root handler in between)."""

    def __init__(self, secrets: list[str]):
        self.filter = SecretsFilter(secrets)
        self.install()

    def install(self, *args, **kwargs) -> None:
        for handler in logging.getLogger().handlers:
            if self.filter not in handler.filters:
                handler.addFilter(self.filter)

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        extension = cls(secret_values(crawler.settings))
        crawler.signals.connect(extension.install, signal=signals.spider_opened)
        return extension
