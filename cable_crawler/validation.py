"""Validation of article records against schema/article.schema.json."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from jsonschema import Draft202012Validator

from .items import ARTICLE_FIELDS

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


def problems(data: dict) -> list[str]:
    """Reasons the record is not a valid article; [] when it is."""
    reasons = [reason for field, reason in REQUIRED.items() if not data.get(field)]
    for error in sorted(validator().iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(p) for p in error.absolute_path) or "(item)"
        field = str(error.absolute_path[0]) if error.absolute_path else None
        source = DERIVED_FROM.get(field, field)
        if source in REQUIRED and REQUIRED[source] in reasons:
            continue  # already said, in plainer words
        reasons.append(f"{path}: {error.message}")
    return reasons
