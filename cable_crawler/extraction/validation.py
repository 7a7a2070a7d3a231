"""Validation of article records against schema/article.schema.json."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources

from jsonschema import Draft202012Validator

from cable_crawler.items import ARTICLE_FIELDS
from cable_crawler.extraction.processors import implausible_date, parse_datetime

# Checked first, with reasons an operator understands at a glance.
REQUIRED = {
    "url": "missing url",
    "headline": "missing headline",
    "published_at": "missing published_at (no date found on the page)",
    "body": "empty body (no article paragraphs found)",
}


@lru_cache(maxsize=1)
def schema() -> dict:
    text = resources.files("cable_crawler").joinpath("schema/article.schema.json").read_text("utf-8")
    return json.loads(text)


# The schema as a module attribute, for Spidermon's SPIDERMON_VALIDATION_SCHEMAS
# (an object path works inside a Scrapyd egg, where the file has no path).
ARTICLE_SCHEMA = schema()


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def record(item) -> dict:
    """The item as the JSON object written to a line: keys in schema order."""
    data = dict(item)
    return {field: data.get(field) for field in ARTICLE_FIELDS}


# Fields computed from another one: their errors only repeat the other's.
DERIVED_FROM = {"word_count": "body", "fingerprint": "body"}


DATE_FIELDS = ("published_at", "modified_at")


def date_problems(data: dict) -> list[str]:
    """published_at/modified_at before FP existed or after the crawl's clock (crawled_at)."""
    clock = parse_datetime(data.get("crawled_at")) or datetime.now(timezone.utc)
    reasons = []
    for field in DATE_FIELDS:
        why = implausible_date(data.get(field), clock)
        if why:
            reasons.append(f"{field}: {data[field]} {why}")
    return reasons


def _too_long(error) -> str | None:
    """An operator's message for a maxLength/maxItems error: the size, not the value
    (jsonschema's message quotes the whole value, 10 MB of it if need be). A nullable
    field (anyOf: null or a bounded string) reports the bound through its sub-errors."""
    if error.validator in ("anyOf", "oneOf"):
        return next(filter(None, (_too_long(sub) for sub in error.context or ())), None)
    if error.validator == "maxLength":
        return f"{len(error.instance)} characters, more than the limit of {error.validator_value}"
    if error.validator == "maxItems":
        return f"{len(error.instance)} items, more than the limit of {error.validator_value}"
    return None


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else f"{message[:limit]}... ({len(message)} characters)"


def problems(data: dict) -> list[str]:
    """Reasons the record is not a valid article; [] when it is."""
    reasons = [reason for field, reason in REQUIRED.items() if not data.get(field)]
    for error in sorted(validator().iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(p) for p in error.absolute_path) or "(item)"
        field = str(error.absolute_path[0]) if error.absolute_path else None
        source = DERIVED_FROM.get(field, field)
        if source in REQUIRED and REQUIRED[source] in reasons:
            continue  # already said, in plainer words
        reasons.append(f"{path}: {_too_long(error) or _short(error.message)}")
    return reasons + date_problems(data)
