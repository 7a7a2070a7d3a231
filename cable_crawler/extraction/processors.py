"""Pure normalization functions used by the item loaders.

Every function here takes plain values (strings, lists, dates) and returns plain
values: no Scrapy objects, no I/O. Each one has table-driven tests in
tests/test_processors.py. The loaders in loaders.py wire them to item fields.
"""

from __future__ import annotations

import bisect
import hashlib
import ipaddress
import re
import unicodedata
from datetime import date, datetime, timezone
from functools import lru_cache, wraps
from urllib.parse import urlsplit, urlunsplit

from w3lib.html import remove_tags, remove_tags_with_content, replace_entities
from w3lib.url import safe_url_string, url_query_cleaner

# --------------------------------------------------------------------------- text


# Zero-width and soft-hyphen characters that WordPress and CMS editors leave behind.
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# Bidi embeddings, overrides and isolates (LRE..RLO, LRI..PDI): they reorder how the text
# around them is displayed, so "\u202egnp.exe" reads as "exe.png" (Trojan-Source spoofing);
# no FP text needs them. The marks LRM, RLM and ALM (U+200E, U+200F, U+061C) are kept:
# they only set the direction of neutral characters next to them, which quoted Arabic or
# Hebrew needs to display right, and cannot reorder strong text.
_BIDI_CONTROL_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")


# UTF-8 read as cp1252 turns "’" into "â€™" and "é" into "Ã©": these lead characters give it away.
_MOJIBAKE_HINT_RE = re.compile("[\u00c2\u00c3\u00e2][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]")


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as cp1252 ('Itâ€™s' -> 'It’s'). Only when
    the whole text round-trips strictly: genuine 'Ã' in other text is left alone.

    Kept instead of ftfy (6.3, evaluated): ftfy.fix_encoding agrees on every row of
    tests/test_processors.py::test_fix_mojibake but one: in text that mixes a mangled
    and a correct quote, 'mixed â€™ and ’', ftfy repairs the mangled part by its own
    heuristics ('mixed ’ and ’'); this rule repairs only text that is wholly one cp1252
    reading of UTF-8 bytes, and leaves that text as it is. Switching means accepting
    its heuristics (and a dependency) for a rule the tests pin down in ten lines."""
    if not _MOJIBAKE_HINT_RE.search(text):
        return text
    raw = bytearray()
    for char in text:
        try:
            raw += char.encode("cp1252")
        except UnicodeEncodeError:
            if ord(char) > 0xFF:
                return text  # not a cp1252 reading of bytes
            raw.append(ord(char))  # bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return text


_CACHES: list = []  # the lru_caches of cached_for_short's functions, for clear_caches()


def cached_for_short(maxsize: int, max_chars: int):
    """functools.lru_cache for a pure function of one value, bypassed for a string longer than
    `max_chars` (and unhashable values): a hostile page's megabyte texts must not stay in
    memory, and the texts and URLs worth remembering are short. At most `maxsize` kept."""
    def decorate(function):
        cached = lru_cache(maxsize=maxsize, typed=True)(function)  # typed: 1 and 1.0 are two values
        _CACHES.append(cached)

        @wraps(function)
        def call(value):
            if type(value) is str:  # most calls: one test (lru_cache hashes the text itself)
                return cached(value) if len(value) <= max_chars else function(value)
            if isinstance(value, str) and len(value) > max_chars:
                return function(value)
            try:
                hash(value)
            except TypeError:  # unhashable: nothing to remember it by
                return function(value)
            return cached(value)  # (a TypeError of the function itself is not caught: no second call)

        call.cache_clear = cached.cache_clear
        call.cache_info = cached.cache_info
        call.cached, call.max_chars = cached, max_chars  # (for a caller that has checked the value itself)
        return call
    return decorate


# Dropped before NFC (a combining mark after an invisible character must compose), in one pass.
_DROPPED_RE = re.compile("[" + _BIDI_CONTROL_RE.pattern[1:-1] + _INVISIBLE_RE.pattern[1:-1] + "]")


def _clean_once(text: str) -> str:
    """Entities, mojibake, bidi and invisible characters, NFC, whitespace: one pass. Each step
    runs only on a text it can change (an entity needs "&"; the others act on non-ASCII
    characters only), and whitespace runs are split and joined: str.split knows the
    whitespace re's \\s knows, at a quarter of a regex substitution's time on a paragraph."""
    if "&" in text:
        text = replace_entities(text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", _DROPPED_RE.sub("", fix_mojibake(text)))
    return " ".join(text.split())


# What _clean_once changes: an entity's "&", whitespace other than single inner spaces,
# invisible and bidi characters, mojibake's lead characters. A text without any of them
# (and in NFC) is clean already: most texts are, and one character-class search is all
# they cost. (Every character str.isspace() knows is below U+3001.)
_NEEDS_CLEANING_RE = re.compile(
    "[&" + re.escape("".join(c for c in map(chr, range(0x3001)) if c.isspace() and c != " "))
    + _INVISIBLE_RE.pattern[1:-1] + _BIDI_CONTROL_RE.pattern[1:-1] + _MOJIBAKE_HINT_RE.pattern[1:4] + "]")
# Every character of that class but "&" and the mojibake leads is one str.isprintable() refuses
# (controls, format characters, separators other than " "): a printable text needs only those
# four looked for, each a C scan (the class search costs ~3 ns a character).
_MOJIBAKE_LEADS = tuple(_MOJIBAKE_HINT_RE.pattern[1:4])


def is_clean(text: str) -> bool:
    """Whether clean_text would return `text` unchanged (a fast check, no cleaning)."""
    if "&" in text or "  " in text or text.startswith(" ") or text.endswith(" "):
        return False
    if text.isascii():
        return text.isprintable() or not _NEEDS_CLEANING_RE.search(text)
    if text.isprintable():
        needs_cleaning = any(map(text.__contains__, _MOJIBAKE_LEADS))
    else:
        needs_cleaning = _NEEDS_CLEANING_RE.search(text) is not None
    return not needs_cleaning and unicodedata.is_normalized("NFC", text)


def clean_text(value: str | None) -> str:
    """Entities decoded, mojibake repaired, invisible characters and bidi
    embedding/override/isolate controls dropped, NFC-normalized, whitespace (including non-breaking spaces) collapsed, ends
    stripped. Repeated until nothing changes (double-escaped entities, twice
    mis-decoded text), so clean_text(clean_text(x)) == clean_text(x)."""
    if type(value) is str:
        # The cache itself, without _clean_str's checks: clean_text is called ~100 times a page.
        return _CLEAN_CACHED(value) if len(value) <= _CLEAN_MAX_CHARS else _clean_str(value)
    if value is None:
        return ""
    return _clean_str(str(value))


# A page's texts pass clean_text several times (node_text, the loader's input processor,
# comparison keys, boilerplate checks): the answer is kept for the last texts seen, so
# that only the first pass costs (see cached_for_short).
@cached_for_short(maxsize=512, max_chars=20_000)
def _clean_str(text: str) -> str:
    # fixed_point(_clean_once, text), stopping as soon as a pass leaves a clean text: the
    # pass after it would change nothing.
    for _ in range(4):
        if is_clean(text):
            return text
        cleaned = _clean_once(text)
        if cleaned == text:
            return text
        text = cleaned
    return text


_CLEAN_CACHED, _CLEAN_MAX_CHARS = _clean_str.cached, _clean_str.max_chars


def clear_caches() -> None:
    """Empties the caches of this module's pure functions (every cached_for_short one:
    clean_text, canonical_url, http_url, image_url, normalize_name, parse_datetime...). For
    benchmarks that read one page many times: each read then costs what a page's first read
    costs, as in a crawl."""
    for cached in _CACHES:
        cached.cache_clear()


def fixed_point(step, value: str, limit: int = 4) -> str:
    """Applies `step` until the value stops changing (at most `limit` times), so
    that a normalization is idempotent even where one pass leaves more to do."""
    for _ in range(limit):
        changed = step(value)
        if changed == value:
            break
        value = changed
    return value


# Elements whose content is code or markup, never text a reader sees.
NON_TEXT_TAGS = ("script", "style", "noscript", "template")


def html_to_text(value: str | None) -> str:
    """Text of an HTML fragment, tags removed (script/style/noscript/template
    with their content), then clean_text."""
    if not value:
        return ""
    if "<" not in value:  # no tag to remove (the page objects hand over text): w3lib's two passes cost ~3 µs
        return clean_text(value)
    return clean_text(remove_tags(remove_tags_with_content(value, NON_TEXT_TAGS)))


_QUOTES = {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'",
           "\u2013": "-", "\u2014": "-", "\u2026": "..."}


# Cached: an article's paragraphs are keyed for deduplication, for pull quotes and again for
# its fingerprint; captions for merging images.
@cached_for_short(maxsize=1024, max_chars=20_000)
def comparison_key(text: str) -> str:
    """Key under which two renderings of the same text compare equal: the same
    paragraph may appear with straight or curly quotes and different spacing."""
    key = clean_text(text)
    if not key.isascii():
        # str.replace, not str.translate: translate with a dict costs a dict look-up per
        # character of non-ASCII text. The replacements hold no character that is replaced.
        for curly, plain in _QUOTES.items():
            key = key.replace(curly, plain)
    return key.casefold()


def unique(values, key=comparison_key) -> list:
    """Drop empty values and later duplicates (by key), keeping first-seen order."""
    seen: set = set()
    out = []
    for value in values:
        if not value:
            continue
        k = key(value)
        if k in seen:
            continue
        seen.add(k)
        out.append(value)
    return out


# A whitespace-separated token without a letter or digit ([^\W_] is str.isalnum()), in a
# text padded with a space at each end (a leading \s lets the regex engine skip ahead).
_NO_WORD_TOKEN_RE = re.compile(r"\s(?:[^\w\s]|_)+(?=\s)")
# The same in a text whose only whitespace is single spaces, as clean text is: a token after a
# space (the regex engine jumps from space to space), and the first token. In a text without
# "_", a token without a letter or digit is one of [^\w ]: one character class, which the
# engine tries at a third of the alternation's cost.
_NO_WORD_INNER_TOKEN_RE = re.compile(r" (?:[^\w ]|_)+(?= |$)")
_NO_WORD_INNER_TOKEN_WITHOUT_UNDERSCORE_RE = re.compile(r" [^\w ]+(?= |$)")
_NO_WORD_FIRST_TOKEN_RE = re.compile(r"(?:[^\w ]|_)+(?= |$)")


def _spaced_once(text: str) -> bool:
    """Whether the text's only whitespace is single spaces between other characters (clean
    text's): str.isprintable() refuses every other whitespace character."""
    return bool(text) and text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " "


def _clean_and_spaced_once(text: str) -> bool:
    """_spaced_once(text), asked of clean_text first: a text clean_text gives back as it is, is
    spaced once (its last step joins the split text with single spaces). An item's body
    paragraphs are clean texts that its cache has just seen: a look-up, where isprintable()
    reads every character (~2.4 ns each). (A text it has not seen is cleaned to find out.)"""
    if text and type(text) is str and len(text) <= _CLEAN_MAX_CHARS and _CLEAN_CACHED(text) == text:
        return True
    return _spaced_once(text)


def word_count(paragraphs: list[str]) -> int:
    """Words: whitespace-separated tokens with a letter or digit (a dash is no word).
    Counted as all tokens less those without one: no Python loop over the words. In a
    paragraph spaced once (every one of an item's body), the tokens are its spaces plus one,
    and the search for wordless ones starts only at a space: 40 % of the time."""
    words = 0
    for text in paragraphs:
        if _clean_and_spaced_once(text):
            inner = _NO_WORD_INNER_TOKEN_RE if "_" in text else _NO_WORD_INNER_TOKEN_WITHOUT_UNDERSCORE_RE
            words += (text.count(" ") + 1 - len(inner.findall(text))
                      - (_NO_WORD_FIRST_TOKEN_RE.match(text) is not None))
        else:
            words += len(text.split()) - len(_NO_WORD_TOKEN_RE.findall(f" {text} "))
    return words


# --------------------------------------------------------------------------- places

# Tokens kept as written when title-casing an all-caps place name.
_PLACE_SMALL_WORDS = {"of", "de", "la", "le", "al", "el", "and", "on", "upon", "du", "da"}
# Abbreviations written without dots that stay upper-case: "WASHINGTON, DC".
_PLACE_ABBREVIATIONS = {"DC", "US", "USA", "UK", "UN", "EU", "UAE", "DRC", "NATO", "NY"}


def title_case_place(value: str) -> str:
    """'ALEPPO, SYRIA' -> 'Aleppo, Syria'; 'WASHINGTON, D.C.' -> 'Washington, D.C.';
    'UNITED NATIONS' -> 'United Nations'. Mixed-case input is returned cleaned only."""
    text = clean_text(value).strip(" ,")
    if not text or text != text.upper():
        return text

    def fix_word(i: int, word: str) -> str:
        if "." in word or word.strip(",") in _PLACE_ABBREVIATIONS:  # D.C., U.S., DC
            return word
        lower = word.lower()
        if i > 0 and lower in _PLACE_SMALL_WORDS:
            return lower
        # Hyphenated and apostrophe names: PORT-AU-PRINCE, N'DJAMENA.
        return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), lower)

    words = text.split(" ")
    return " ".join(fix_word(i, w) for i, w in enumerate(words))


# An all-caps place at the start of a paragraph, followed by a dash: "WASHINGTON —".
_BODY_DATELINE_RE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'\-]*(?:[ ,]+[A-Z][A-Z.'\-]*)*)\s*(?:\([^)]*\)\s*)?[\u2014\u2013-]{1,2}\s+\S"
)


def body_dateline(first_paragraph: str | None) -> str | None:
    """The opening place of a news story: 'WASHINGTON — The State ...' -> 'Washington'."""
    text = clean_text(first_paragraph)
    match = _BODY_DATELINE_RE.match(text)
    if not match:
        return None
    place = match.group("place").strip(" ,")
    # A lone capitalized word is a sentence start ("A", "I"), not a place.
    if len(place.replace(".", "")) < 2:
        return None
    return title_case_place(place)


# --------------------------------------------------------------------------- dates

_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"], start=1)}
_MONTH_ABBR = {name[:3]: num for name, num in _MONTHS.items()} | {"sept": 9}


def month_number(name: str) -> int | None:
    key = name.lower().rstrip(".")
    return _MONTHS.get(key) or _MONTH_ABBR.get(key)


_EPOCH_RE = re.compile(r"\d{9,11}")
_COMPACT_OFFSET_RE = re.compile(r"([+-]\d{2})(\d{2})$")


# A page's dates pass here again and again (input processors, the plausibility check,
# load_item, the spider's window, validation): the answers for the last values are kept
# (datetimes are immutable, so one can be handed out twice).
@cached_for_short(maxsize=256, max_chars=100)
def parse_datetime(value) -> datetime | None:
    """Parse the date formats FP pages carry into an aware datetime:
    ISO 8601 with or without offset or time ('2021-05-29T13:18:04+00:00',
    '2016-08-04T13:48:00Z', '2021-05-29'), and epoch seconds ('1622294284',
    og:updated_time). A value without an offset is taken as UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = clean_text(str(value))
        if not text:
            return None
        if _EPOCH_RE.fullmatch(text):
            return datetime.fromtimestamp(int(text), tz=timezone.utc)
        if text.endswith("Z"):  # (a clean text ends in no newline, where re's "Z$" would also match)
            text = text[:-1] + "+00:00"
        # "+0000" -> "+00:00" for fromisoformat on older Pythons (a sign five from the end first).
        if text[-5:-4] in ("+", "-"):
            text = _COMPACT_OFFSET_RE.sub(r"\1:\2", text)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


@cached_for_short(maxsize=256, max_chars=100)  # (a page gives one date in several places)
def iso_datetime(value) -> str | None:
    """ISO 8601 string with offset, seconds precision, or None. An offset with
    seconds (not expressible as +HH:MM) is converted to UTC."""
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    offset = parsed.utcoffset()
    if offset is not None and (offset.seconds % 60 or offset.microseconds):
        try:
            parsed = parsed.astimezone(timezone.utc)
        except (OverflowError, ValueError):
            return None
    return parsed.replace(microsecond=0).isoformat()


# Plausible publication dates. Foreign Policy was founded in 1970 (a print magazine; the
# website's own posts start in the 2000s, The Cable's in 2009): no FP page is older, so
# 1900 or 0001 is a template's placeholder or a forgery. The upper bound is the crawl's
# clock plus two days, for time zones and scheduled posts.
EARLIEST_DATE = date(1970, 1, 1)
FUTURE_SLACK_DAYS = 2


def implausible_date(value, now: datetime) -> str | None:
    """Why an ISO date is no plausible FP date at crawl time `now`, or None. Compares
    the value's own calendar date: no time-zone arithmetic to overflow near year 1 or 9999."""
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    if parsed.date() < EARLIEST_DATE:
        return f"is before {EARLIEST_DATE} (Foreign Policy did not exist)"
    if (parsed.date() - now.date()).days > FUTURE_SLACK_DAYS:
        return f"is after the crawl's clock ({now.date()} + {FUTURE_SLACK_DAYS} days)"
    return None


def first_plausible_date(candidates: list, now: datetime | None = None) -> str | None:
    """The first candidate date that is plausible (see implausible_date); when none is,
    the first one, so that validation rejects the article and says why."""
    now = now or datetime.now(timezone.utc)
    candidates = [c for c in candidates if c]
    return next((c for c in candidates if implausible_date(c, now) is None), candidates[0] if candidates else None)


_URL_DATE_RE = re.compile(r"/(?P<y>(?:19|20)\d{2})/(?P<m>[01]\d)/(?P<d>[0-3]\d)/")


def date_from_url(url: str | None) -> date | None:
    """FP article URLs carry the publication date: /2016/08/04/slug/."""
    match = _URL_DATE_RE.search(url or "")
    if not match:
        return None
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None


# --------------------------------------------------------------------------- ids and access

_POST_ID_RE = re.compile(r"[0-9]{1,18}")


def first_post_id(candidates: list) -> str | None:
    """The first candidate that is a WordPress post id (digits, at most 18)."""
    return next((c for c in candidates if isinstance(c, str) and _POST_ID_RE.fullmatch(c)), None)


# What marks a post for subscribers only, by era: the body class of FP Insider posts
# (current theme) and data-premium="yes" on the post container (foreign-policy-2017).
_SUBSCRIBER_PREMIUM = ("yes", "true", "1")
_SUBSCRIBER_BODY_CLASSES = ("is-fp-insider",)


def access_level(markers: list[dict]) -> str:
    """'subscriber' when a page's markers ({'premium': data-premium value, 'body_class':
    the body's class attribute}, raw) say the post is for subscribers only, else 'free'."""
    for marker in markers:
        if clean_text(marker.get("premium")).lower() in _SUBSCRIBER_PREMIUM:
            return "subscriber"
        if any(c in _SUBSCRIBER_BODY_CLASSES for c in clean_text(marker.get("body_class")).split()):
            return "subscriber"
    return "free"


# --------------------------------------------------------------------------- URLs

# Query parameters that only track campaigns or sessions: never part of an article's identity.
TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id",
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "ocid", "tpcc",
    "ref", "share", "amp", "s", "cid", "sp_rid", "sp_mid", "_ga", "noamp",
)

_LEGACY_POST_RE = re.compile(r"^/posts/(?P<date>\d{4}/\d{2}/\d{2})/(?P<slug>[^/]+?)/?$")


def is_ip_address(host: str) -> bool:
    """An IP address ('127.0.0.1', '::1', '[::1]'), or a host that a URL parser
    reads as one because its last label is a number ('127.1', '0x7f.1'): no
    top-level domain is numeric. An address has no 'www.' variant and no subdomains."""
    host = host.lower().strip("[]").rstrip(".")
    if ":" in host:  # only an IPv6 address has one; an IPv4 address ends in a number anyway
        try:
            ipaddress.ip_address(host)
            return True
        except ValueError:
            pass
    return bool(_NUMERIC_LABEL_RE.fullmatch(host.rsplit(".", 1)[-1]))


_NUMERIC_LABEL_RE = re.compile(r"[0-9]+|0x[0-9a-f]*")


def without_www(host: str) -> str:
    """foreignpolicy.com for www.foreignpolicy.com. A name that is an address
    once 'www.' is gone keeps it: www.127.0.0.1 is a DNS name, not 127.0.0.1."""
    bare = host
    while bare.startswith("www."):
        bare = bare[4:]
    return host if is_ip_address(bare) else bare


def _canonical_once(url: str) -> str:
    parts = urlsplit(url)
    host = without_www((parts.hostname or "").lower())
    netloc = host + (f":{parts.port}" if parts.port else "")
    path = parts.path or "/"
    path = re.sub(r"(?:/amp)+/?$", "/", path)  # /2016/08/04/slug/amp/ -> /2016/08/04/slug/
    if not _LEGACY_POST_RE.match(path) and not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        path += "/"
    return url_query_cleaner(
        urlunsplit((parts.scheme.lower(), netloc, path, parts.query, "")),
        TRACKING_PARAMS, remove=True, unique=True, keep_fragments=False,
    )


# An absolute http(s) URL in the plain shape almost every link on FP has: a lower-case DNS
# host, a port without leading zero, a path (at least "/") and query of unreserved characters
# (no percent-escape, no ";", no fragment, no empty "?"). safe_url_string, clean_text, urlsplit
# and urljoin leave such a URL as it is, so the URL functions answer it without them
# (w3lib's parse costs ~10 µs a URL; tests/test_processors.py compares both ways on
# thousands of URLs). Group 1: the URL without its query; group 2: the host; 3: the port.
_LABEL = "[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
PLAIN_HTTP_URL_RE = re.compile(
    rf"(https?://({_LABEL}(?:\.{_LABEL})*)(?::([1-9][0-9]{{0,4}}))?/[A-Za-z0-9._~/-]*)(?:\?[A-Za-z0-9._~=&+,-]+)?")


# Cached: one URL is asked again and again (the canonical link by the page, by its loader and
# by the spider; an image's address when it is made absolute, then twice in merge_images).
@cached_for_short(maxsize=1024, max_chars=2048)
def plain_http_url(url) -> re.Match | None:
    """The match of PLAIN_HTTP_URL_RE for the whole of `url` (a valid port), else None."""
    if type(url) is not str or len(url) > 2048:
        return None
    match = PLAIN_HTTP_URL_RE.fullmatch(url)
    return match if match and (match[3] is None or int(match[3]) <= 65535) else None


def _is_canonical_already(url: str) -> bool:
    """Whether canonical_url(url) is `url` itself, told without parsing it: a plain URL
    without query, host without "www.", path ending in "/" but not in "/amp/"."""
    match = plain_http_url(url)
    return (match is not None and match.end(1) == len(url) and url.endswith("/")
            and not match[2].startswith("www.") and not url.endswith("/amp/"))


def canonical_url(url: str) -> str:
    """One spelling per article: percent-encoded (w3lib safe_url_string),
    lower-case host without 'www.' (an IP address never gains or loses one),
    no fragment, no tracking parameters, no AMP suffix, article paths with a
    trailing slash. Legacy Cable URLs
    (thecable.foreignpolicy.com/posts/2013/05/02/under_slug) keep their path:
    only the site's redirect knows the new slug. Text that is no URL at all
    (bad host or port) comes back cleaned, without fragment: is_http_url() says
    whether a result can be requested."""
    return url if _is_canonical_already(url) else _canonical_url(url)


# Cached: a page gives the same URLs several times (a teaser's link made absolute, then
# canonical again in its loader), and a crawl the same teasers and authors on many pages.
@cached_for_short(maxsize=2048, max_chars=2048)
def _canonical_url(url: str) -> str:
    text = clean_text(url)
    try:
        return fixed_point(_canonical_once, safe_url_string(text))
    except ValueError:
        return text.split("#", 1)[0]


# FP article paths: /2016/08/04/slug/ and the legacy Cable blog's /posts/2013/05/02/under_slug.
_ARTICLE_PATH_RE = re.compile(r"^/(?:posts/)?(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/[^/]+/?$")


def is_article_url(url: str | None) -> bool:
    """Whether a URL has the shape of an FP article: a dated path with a slug, no
    query. The home page, channel, tag, author and search pages are not articles."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return False
    match = _ARTICLE_PATH_RE.match(parts.path)
    if not match or parts.query or parts.scheme not in ("http", "https"):
        return False
    try:
        date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return False
    return True


_HTTP_URL_RE = re.compile(r"^https?://[^\s/?#]+(?:[/?]\S*)?$")


def is_http_url(url: str | None) -> bool:
    """An absolute http(s) URL with a valid host and port, without whitespace."""
    if not url or not _HTTP_URL_RE.match(url):
        return False
    try:
        parts = urlsplit(url)
        return bool(parts.hostname) and (parts.port is None or 0 < parts.port)
    except ValueError:
        return False


def http_url(url: str | None) -> str | None:
    """canonical_url(url) when that is a requestable http(s) URL, else None."""
    return url if _is_canonical_already(url) else _http_url(url)


@cached_for_short(maxsize=2048, max_chars=2048)
def _http_url(url: str | None) -> str | None:
    if not url:
        return None
    canonical = canonical_url(url)
    return canonical if is_http_url(canonical) else None


# Asked of every image candidate twice an article (the lead image and the images are merged
# apart); w3lib's safe_url_string was ~1 % of a crawl's CPU.
def image_url(url: str | None) -> str | None:
    """An image's address without resize/quality parameters, so the lazy copy,
    the noscript copy and the srcset variants of one image compare equal."""
    match = plain_http_url(url)
    return match[1] if match else _image_url(url)


@cached_for_short(maxsize=512, max_chars=2048)
def _image_url(url: str | None) -> str | None:
    url = clean_text(url)
    if not url or url.startswith("data:"):
        return None
    try:
        parts = urlsplit(safe_url_string(url))
        image = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    except ValueError:
        return None
    return image if is_http_url(image) else None


def article_id(post_id, url: str) -> str:
    """Stable id: the WordPress post id when the page carries one, else a hash
    of the canonical URL (prefixed so the two kinds can never collide)."""
    post = clean_text(str(post_id)) if post_id is not None else ""
    if re.fullmatch(r"[0-9]{1,18}", post) and int(post) > 0:  # ASCII digits; '²' is isdigit() too
        return f"fp-{int(post)}"
    digest = hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()[:20]
    return f"url-{digest}"


def content_fingerprint(headline: str, body: list[str]) -> str:
    """Hash of what a reader sees: the same article served under two URLs has the same one."""
    text = comparison_key(headline) + "\n" + "\n".join(comparison_key(p) for p in body)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- bylines

_BY_PREFIX_RE = re.compile(r"^\s*by\b[:\s]*", re.IGNORECASE)
# A comma-separated segment that starts a role description, not a name:
# "a staff writer ...", "an editor ...", "the director ...", "who ...", "FP's ...".
_ROLE_START_RE = re.compile(
    r"^(?:a|an|the|who|is|was|are|were|has|fp|foreign policy|"
    r"staff|senior|deputy|contributing|special|former|reporting|with)\b",
    re.IGNORECASE,
)
_NAME_SPLIT_RE = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*", re.IGNORECASE)


def byline_names(byline: str | None) -> list[str]:
    """Author names in a displayed byline, in order, without the role tail:
    'By X' / 'By X and Y' / 'By X, Y, and Z' / 'By X, a staff writer at FP'.
    An empty name slot ('By , a staff writer ...') gives no name."""
    # "By Colum Lynch | March 15, 2018": what follows a separator is not names.
    text = _BY_PREFIX_RE.sub("", clean_text(byline).split("|")[0])
    if not text:
        return []
    names: list[str] = []
    for segment in _NAME_SPLIT_RE.split(text):
        segment = segment.strip(" .;:|")
        if not segment:
            continue
        if _ROLE_START_RE.match(segment) or not segment[0].isupper():
            break  # everything from here on describes the author(s)
        names.append(normalize_name(segment))
    return unique(names)


# A page offers each author's name from up to five sources, and every one passes here
# two or three times (split_author_names, merge_authors); a crawl sees the same authors on
# many pages: the answers for the last names are kept.
@cached_for_short(maxsize=512, max_chars=2048)
def normalize_name(name: str | None) -> str:
    """'  JOHN   Hudson ' -> 'JOHN Hudson' is left alone except whitespace;
    an all-caps byline ('BY ELIAS GROLL') is title-cased."""
    if not isinstance(name, str):
        return ""  # JSON-LD can carry anything where a name belongs
    text = _BY_PREFIX_RE.sub("", html_to_text(name)).strip(" ,.;:|")
    if text and text == text.upper() and any(c.isalpha() for c in text):
        text = " ".join(w.capitalize() if "." not in w else w for w in text.split(" "))
    return text


# "John Hudson was a staff writer ...", "Omar G. Encarnación is a professor ..."
_BIO_NAME_RE = re.compile(
    r"^(?P<name>[A-Z][\w.'\u2019\-]*(?:\s+[A-Z][\w.'\u2019\-]*){0,4})\s+"
    r"(?:is|was|are|were|has|covers|writes|reports|serves)\b",
    re.UNICODE,
)


def bio_name(bio: str | None) -> str | None:
    """The subject of an author bio sentence, or None."""
    match = _BIO_NAME_RE.match(clean_text(bio))
    return normalize_name(match.group("name")) if match else None


@cached_for_short(maxsize=512, max_chars=2048)
def _name_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", clean_text(name))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def same_name(a: str, b: str) -> bool:
    return _name_key(a) == _name_key(b)


# --------------------------------------------------------------------------- captions

_CREDIT_TAIL_RE = re.compile(
    r"\s*[\(\[](?P<credit>(?:photo|photos|image|illustration|video)\s+(?:by|courtesy(?:\s+of)?|credit)\b[^()\[\]]*"
    r"|(?:photo|photos|image|credit)\s*:[^()\[\]]*|courtesy\b[^()\[\]]*"
    r"|[^()\[\]]*(?:/|getty|afp|reuters|associated press|\bAP\b|epa|shutterstock|courtesy|pool)[^()\[\]]*)"
    r"[\)\]]\s*$",
    re.IGNORECASE,
)
# Words that introduce a credit and are not part of it: "(Photo credit should read X/AFP/Getty
# Images)", "(Photo by X/Y)", "(Photo: X)", "Courtesy of X". "Photo illustration by Foreign
# Policy" keeps its words: they say the image is an illustration, which no name would.
_CREDIT_LABEL_RE = re.compile(
    r"^(?:photo\s+credit\s+should\s+read|(?:photo|photos|image|illustration|video|photograph)\s+"
    r"(?:by|courtesy of|courtesy)|courtesy of|(?:photo|photos|image|credit)\s*:)\s*",
    re.IGNORECASE)
# A credit standing alone, without parentheses: it starts with a credit's lead-in words
# ("Photo by", "Courtesy of", "AFP PHOTO /") or ends with an agency's name after a slash or
# "via" ("SANDY HUFFAKER/AFP via Getty Images"), or is an agency's name ("Getty Images").
_CREDIT_LEAD_RE = re.compile(
    r"^(?:photo\s+credit\s+should\s+read|(?:photo|photos|image|illustration|video|photograph|"
    r"photo\s+illustration)\s+(?:by|courtesy)|courtesy\s+of|(?:photo|photos|image|credit)\s*:|"
    r"(?:afp|ap|epa|reuters|xinhua)\s+photo\s*/)\s*\S",
    re.IGNORECASE)
_CREDIT_AGENCY = (r"(?:getty\s+images|afp|reuters|associated\s+press|ap|epa(?:-efe)?|shutterstock|pool|"
                  r"anadolu\s+agency|xinhua|tass|sputnik|picture\s+alliance|bloomberg|foreign\s+policy)")
_CREDIT_AGENCY_ONLY_RE = re.compile(rf"^{_CREDIT_AGENCY}$", re.IGNORECASE)
_CREDIT_AGENCY_END_RE = re.compile(rf"(?:/|\bvia\s+|\billustration\s+(?:for|by)\s+){_CREDIT_AGENCY}$"
                                   rf"|^foreign\s+policy\s+illustration\b", re.IGNORECASE)
# Credits are short: a longer segment is a sentence that happens to name an agency.
_CREDIT_MAX_WORDS = 12
# Where a caption's last sentence may begin: after ". ", "? ", "! " or a closing quote (the
# mark is matched, not looked behind for: a look-behind is tried at every position).
_SENTENCE_END_RE = re.compile(r"[.!?\u201d\"]\s+(?=\S)")
_FILENAME_RE = re.compile(r"^[\w.\-]+\.(?:jpe?g|png|gif|webp|tiff?|bmp|svg)$", re.IGNORECASE)
# "ALEPPO, SYRIA - AUGUST 4:" / "WASHINGTON, DC - MARCH 3, 2017:" / "KABUL, AFGHANISTAN — SEPT. 1:"
_CAPTION_DATELINE_RE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'\-]*(?:[ ,]+[A-Z][A-Z.'\-]*)*)\s*[-\u2013\u2014]+\s*"
    r"(?P<month>[A-Z][A-Za-z]{2,8}\.?)\s+(?P<day>\d{1,2})(?:,?\s+(?P<year>\d{4}))?\s*:\s*"
)
_YEAR_IN_TEXT_RE = re.compile(r"\b(?:19|20)\d{2}\b")


def may_start_with_dateline(caption: str | None) -> bool:
    """False when parse_caption(caption, ...) can find no dateline, told by one regex.
    parse_caption matches _CAPTION_DATELINE_RE at the start of what is left of the cleaned
    caption once credits are cut from its end, a prefix that it cleans again. The pattern
    has no end anchor and no look-ahead: where it matches a prefix it matches the whole.
    Cleaning a prefix again changes nothing in ASCII text without "&"; other text may
    read otherwise in part (mojibake repaired only in a part, an entity cut short), so
    for it the answer is True."""
    text = clean_text(caption)
    if not text.isascii() or "&" in text:
        return True
    return _CAPTION_DATELINE_RE.match(text) is not None


def is_filename(text: str | None) -> bool:
    """'588143_090227_boxes5.jpg' is what WordPress shows when nobody wrote a caption."""
    return bool(_FILENAME_RE.match(clean_text(text)))


def normalize_credit(credit: str | None) -> str | None:
    """'(Photo by Ibrahim Ebu Leys/Anadolu Agency/Getty Images)' ->
    'Ibrahim Ebu Leys/Anadolu Agency/Getty Images'; the lead-in words of
    '(Photo credit should read X/AFP/Getty Images)', '(Photo: X)', 'Courtesy of X' go too."""
    text = clean_text(credit).strip("()[] ")
    text = _CREDIT_LABEL_RE.sub("", text).strip(" ()[]")
    return text or None


def is_credit_only(text: str | None) -> bool:
    """Whether a caption's text is nothing but a photo credit ('Getty Images',
    'AFP via Getty Images', 'Photo illustration by Foreign Policy', 'Courtesy of X')."""
    text = clean_text(text).strip("()[] ")
    if not text or len(text.split()) > _CREDIT_MAX_WORDS:
        return False
    return bool(_CREDIT_LEAD_RE.match(text) or _CREDIT_AGENCY_ONLY_RE.match(text)
                or _CREDIT_AGENCY_END_RE.search(text))


def sentence_starts(text: str, within: int) -> list[int]:
    """Where a sentence may begin in the last `within` characters of `text` (after the spaces
    that follow a sentence's end), in order."""
    # From one character before the window: the mark may stand there, the spaces after it in it.
    return [m.end() for m in _SENTENCE_END_RE.finditer(text, max(0, len(text) - within - 1))]


def _trailing_credit(text: str) -> tuple[str, str] | None:
    """(text before, credit) when the caption's last sentence or two are a bare credit:
    'Putin speaks. Mikhail Svetlov/AFP via Getty Images'. Tried from the shortest tail
    ('U.S. Army' must not end the search at 'Army')."""
    starts = sentence_starts(text, 200)
    for start in reversed(starts[-4:]):
        if is_credit_only(text[start:]):
            return text[:start].strip(), text[start:]
    return None


def split_credit(caption: str | None) -> tuple[str, str | None]:
    """Caption text and its trailing photo credit, if the credit is glued on: in
    parentheses, or as the last sentence ('... 2016. SANDY HUFFAKER/AFP via Getty
    Images'). When a caption carries two ('AFP PHOTO / X (Photo credit should read
    X/AFP/Getty Images)'), both are cut and the last one, the one to print, is kept."""
    text = clean_text(caption)
    credit = None
    for _ in range(2):
        # A credit is short and at the end: searching only the tail keeps the regex linear. It
        # ends in ")" or "]", the text's last character (the text is stripped): else no search.
        match = _CREDIT_TAIL_RE.search(text, max(0, len(text) - 400)) if text.endswith((")", "]")) else None
        if match:
            text, found = text[: match.start()].strip(), match.group("credit")
        else:
            tail = _trailing_credit(text)
            if tail is None:
                break
            text, found = tail
        credit = credit or normalize_credit(found)
    return text, credit


def split_caption_dateline(caption: str | None, fallback_year: int | None = None
                           ) -> tuple[str, dict | None]:
    """'ALEPPO, SYRIA - AUGUST 4: Smoke rises ... on August 4, 2016.' ->
    ('Smoke rises ... on August 4, 2016.', {'place': 'Aleppo, Syria', 'date': '2016-08-04'}).
    The year comes from the dateline itself, else from a year in the caption
    text, else from fallback_year (the article's year); date is None if unknown."""
    text = clean_text(caption)
    match = _CAPTION_DATELINE_RE.match(text)
    if not match:
        return text, None
    month = month_number(match["month"])
    if month is None:
        return text, None
    rest = text[match.end():].strip()
    year = int(match["year"]) if match["year"] else None
    if year is None:
        years = _YEAR_IN_TEXT_RE.findall(rest)
        year = int(years[0]) if years else fallback_year
    day_value = None
    if year is not None:
        try:
            day_value = date(year, month, int(match["day"])).isoformat()
        except ValueError:
            day_value = None
    return rest, {"place": title_case_place(match["place"]), "date": day_value}


def parse_caption(raw: str | None, credit: str | None = None,
                  fallback_year: int | None = None) -> dict:
    """One caption rendering -> {'caption', 'credit', 'dateline'}.
    `credit` is a separately marked credit (span.attribution); without it a
    credit glued to the end of the text is split off. A file name is no caption."""
    text = clean_text(raw)
    if credit:
        # The attribution span's text is inside the rendered caption too: cut it off.
        credit_text = clean_text(credit)
        if credit_text and text.endswith(credit_text):
            text = text[: -len(credit_text)].strip()
    text, glued_credit = split_credit(text)
    if is_credit_only(text):
        # The whole caption is a credit ("Getty Images", "AFP via Getty Images").
        glued_credit, text = glued_credit or normalize_credit(text), ""
    text, dateline = split_caption_dateline(text, fallback_year)
    if is_filename(text):
        text = ""
    return {
        "caption": text or None,
        "credit": normalize_credit(credit) or glued_credit,
        "dateline": dateline,
    }


def best_caption(renderings: list[dict]) -> dict:
    """Collapse several renderings (img alt, noscript copy, figcaption, wp-caption-text)
    of one image's caption into one: the first with a caption, completed with the
    first credit and dateline found in any rendering."""
    result = {"caption": None, "credit": None, "dateline": None}
    for rendering in renderings:
        for field in result:
            if result[field] is None and rendering.get(field):
                result[field] = rendering[field]
    return result


def merge_images(candidates: list[dict]) -> list[dict]:
    """Images found in several places (header figure, in-body [caption], gallery,
    noscript copies) -> one entry per image. Two candidates are the same image when
    their URLs (without resize parameters) or their non-empty captions match.
    Each candidate is {'url', 'renderings': [parse_caption() results]}."""
    merged: list[dict] = []
    # Where each URL and caption key first appears in `merged`: one dict look-up per
    # candidate instead of a scan of every image so far (a hostile page has thousands).
    by_url: dict[str, int] = {}
    by_caption: dict[str, int] = {}
    for candidate in candidates:
        url = image_url(candidate.get("url"))
        if not url:
            continue
        caption = best_caption(candidate.get("renderings") or [])
        key = comparison_key(caption["caption"]) if caption["caption"] else None
        matches = [i for i in (by_url.get(url), by_caption.get(key) if key else None) if i is not None]
        if matches:
            index = min(matches)  # the first image that matches, as a scan in order would find
            image = merged[index]
            had_caption = image["caption"]
            for field in ("caption", "credit", "dateline"):
                image[field] = image[field] or caption[field]
            if image["caption"] and not had_caption:  # now findable by its caption too
                image_key = comparison_key(image["caption"])
                by_caption[image_key] = min(by_caption.get(image_key, index), index)
        else:
            by_url[url] = len(merged)
            if key:
                by_caption.setdefault(key, len(merged))
            merged.append({"url": url, **caption})
    return merged


# --------------------------------------------------------------------------- authors


_NAME_SUFFIX_RE = re.compile(r"^(?:jr|sr|ii|iii|iv)\.?$", re.IGNORECASE)
_JOINED_NAMES_RE = re.compile(r"\s*,\s*(?:and\s+|&\s*)?|\s+and\s+|\s*&\s*", re.IGNORECASE)


def split_author_names(value) -> list[str]:
    """The people in one author string: meta[name=author] and a JSON-LD author string
    join them ('Robbie Gramer & Amy Mackinnon', 'X, Y, and Z'). Not a byline: no role
    tail is cut here (byline_names does that)."""
    if not isinstance(value, str):
        return []
    names: list[str] = []
    for part in _JOINED_NAMES_RE.split(clean_text(value)):
        if names and _NAME_SUFFIX_RE.match(part):
            names[-1] += ", " + part  # "Martin Luther King, Jr." is one person
        elif normalize_name(part):
            names.append(normalize_name(part))
    return names


def merge_authors(candidates: list[dict]) -> list[dict]:
    """Author candidates from the byline links, the byline text, meta tags,
    JSON-LD and bio paragraphs -> one {'name', 'url', 'bio'} per person, in
    first-seen order. Candidates are {'name', 'url'?, 'bio'?}; a candidate
    without a name only contributes when its bio names a known author. A
    candidate without a URL whose name joins several ('Robbie Gramer & Amy
    Mackinnon', from meta[name=author] or a JSON-LD author string) is one per
    person; one with a URL (a byline link, a JSON-LD Person) keeps its name whole,
    since the URL belongs to one of them."""
    # Keyed by _name_key (what same_name() compares): linear in the candidates, where
    # comparing each with every author so far took minutes on a page with 20,000.
    authors: dict[str, dict] = {}
    expanded = []
    for candidate in candidates:
        names = None if candidate.get("url") else split_author_names(candidate.get("name"))
        if names and len(names) > 1:
            expanded += [{**candidate, "name": name} for name in names]
        else:
            expanded.append(candidate)
    for candidate in expanded:
        name = normalize_name(candidate.get("name"))
        bio = clean_text(candidate.get("bio")) or None
        if not name and bio:
            name = bio_name(bio) or ""
        if not name:
            continue
        key = _name_key(name)
        author = authors.get(key)
        if author is not None:
            author["url"] = author["url"] or candidate.get("url") or None
            author["bio"] = author["bio"] or bio
        else:
            authors[key] = {"name": name, "url": candidate.get("url") or None, "bio": bio}
    return list(authors.values())


# --------------------------------------------------------------------------- body

# Text that FP's templates put between paragraphs and that is never article text.
_BOILERPLATE_RE = re.compile(
    r"^(?:more from foreign policy|read more|read more:|related:|advertisement|tags:|"
    r"subscribe(?: now| today)?(?: to foreign policy)?[.!]?|sign up for .{0,80}|"
    r"you have read \d+ of \d+ free articles.*|loading more\.*|"
    r"this post is part of fp['\u2019]s .{0,200}|already a subscriber\?.*|"
    r"(?:fp )?insider access.{0,80}|share this article.*)$",
    re.IGNORECASE,
)


def is_boilerplate(paragraph: str | None) -> bool:
    return bool(_BOILERPLATE_RE.match(clean_text(paragraph)))


# A pull quote repeats a sentence of the text in large type. A block at least this long
# (in words) found word for word inside another block is one: shorter blocks ("Yes.",
# "He declined.") are real paragraphs that may well recur inside a longer one.
PULL_QUOTE_MIN_WORDS = 8
# Pull quotes are a sentence or two: longer blocks are not looked at.
PULL_QUOTE_MAX_WORDS = 80
# The containment test is one substring search of the page's text per candidate block;
# it runs on the first this many (long reads have ~150 blocks). On 2,000 blocks of 80
# words each (the body_blocks page limit) the whole rule takes about 0.25 s.
PULL_QUOTE_MAX_CANDIDATES = 300
# Quote marks and punctuation a pull quote adds or leaves off around the repeated words.
_QUOTE_EDGES = " \"'.,;:!?-\u2026"


def drop_repeated_quotes(paragraphs: list[str], keys: list[str] | None = None) -> list[str]:
    """Paragraphs without pull quotes: a block of PULL_QUOTE_MIN_WORDS..MAX_WORDS words whose
    text (quotes, case and the marks around it aside) stands inside another, longer block.
    Only the repeat goes: the words stay in the paragraph they were taken from. `keys`:
    the paragraphs' comparison keys when the caller has them."""
    keys = [comparison_key(p) for p in paragraphs] if keys is None else keys
    text = "\n".join(keys)  # one string: a C-level search per candidate, not one per pair
    starts, offset = [], 0
    for key in keys:
        starts.append(offset)
        offset += len(key) + 1
    drop, checked = set(), 0
    for index, key in enumerate(keys):
        quote = key.strip(_QUOTE_EDGES)
        # A comparison key is spaced once (clean text, quotes made plain, casefolded: no step
        # adds whitespace), and so is its stripped middle: its tokens are its spaces plus one.
        if not PULL_QUOTE_MIN_WORDS <= quote.count(" ") + 1 <= PULL_QUOTE_MAX_WORDS:
            continue
        if checked >= PULL_QUOTE_MAX_CANDIDATES:
            break
        checked += 1
        at = text.find(quote)
        while at != -1:
            other = _block_at(starts, at)
            # Its own occurrence is no repeat; of two blocks with the same words, the one
            # without the pull quote's added quote marks stays (else the first).
            other_length = len(keys[other].strip(_QUOTE_EDGES))
            if other != index and (other_length > len(quote) or (
                    other_length == len(quote) and (len(keys[other]), other) < (len(key), index))):
                drop.add(index)
                break
            at = text.find(quote, at + 1)
    return [p for i, p in enumerate(paragraphs) if i not in drop]


def _block_at(starts: list[int], offset: int) -> int:
    """Index of the block whose text holds `offset` in drop_repeated_quotes' joined text."""
    return bisect.bisect_right(starts, offset) - 1


def body_paragraphs(paragraphs: list[str]) -> list[str]:
    """Clean paragraphs, drop empties and template boilerplate, keep each text once
    (the template repeats the lede: teaser copy, gated copy, excerpt), and drop pull
    quotes that repeat words of another paragraph (drop_repeated_quotes)."""
    cleaned = [clean_text(p) for p in paragraphs]
    # A paragraph without a letter or digit ("***", "—") separates text; it is none.
    kept = [p for p in cleaned if any(c.isalnum() for c in p) and not is_boilerplate(p)]
    # unique(kept) with each comparison key computed once, for drop_repeated_quotes too.
    seen: set = set()
    texts, keys = [], []
    for text in kept:
        key = comparison_key(text)
        if key not in seen:
            seen.add(key)
            texts.append(text)
            keys.append(key)
    return drop_repeated_quotes(texts, keys)


_SHORTCODE_BLOCK_RE = re.compile(r"\[(caption|gallery|fp_related|embed|video|audio)\b[^\]]*\].*?\[/\1\]",
                                 re.IGNORECASE | re.DOTALL)
_SHORTCODE_RE = re.compile(r"\[/?[a-z_][\w-]*(?:\s[^\]]*)?\]", re.IGNORECASE)
_BLOCK_SPLIT_RE = re.compile(r"(?:\r?\n\s*){2,}|</?(?:p|div|h[1-6]|blockquote|li|ul|ol)\b[^>]*>",
                             re.IGNORECASE)


def articlebody_paragraphs(raw: str | None) -> list[str]:
    """Paragraphs from JSON-LD 'Articlebody': raw WordPress post_content with
    [caption]/[gallery]/[fp_related] shortcodes and \\r\\n paragraph breaks."""
    if not raw:
        return []
    text = _SHORTCODE_BLOCK_RE.sub("\n\n", raw)
    text = _SHORTCODE_RE.sub("", text)
    return body_paragraphs([html_to_text(block) for block in _BLOCK_SPLIT_RE.split(text)])


_SITE_SUFFIX_RE = re.compile(r"\s*[|\u2013\u2014-]\s*Foreign Policy\s*$", re.IGNORECASE)


def headline_text(value: str | None) -> str:
    """Headline without the site name that <title> and og:title append."""
    text = html_to_text(value)
    # The suffix ends in "y" or "Y" (the only characters re's IGNORECASE matches with "y"),
    # then whitespace: a text that does not is left as it is without the search, which tries
    # the pattern at every character (~1.4 µs a headline).
    if not text.rstrip().endswith(("y", "Y")):
        return text
    return _SITE_SUFFIX_RE.sub("", text)
