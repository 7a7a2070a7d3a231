"""Validation of article records against schema/article.schema.json."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources

import fastjsonschema
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


# The schema as a module attribute, for Spidermon's SPIDERMON_VALIDATION_SCHEMAS should its
# ItemValidationPipeline be turned on again (an object path works inside a Scrapyd egg, where
# the file has no path). The crawl validates each item once: ValidationPipeline, compiled().
ARTICLE_SCHEMA = schema()


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    """jsonschema's validator: the reference, and the one that lists every error of an
    invalid record with its path (the reasons in the rejects file)."""
    return Draft202012Validator(schema())


def _no_remote(uri: str):
    raise ValueError(f"the article schema refers to {uri}: only its own $defs can be used")


def _compile(definition: dict):
    # No formats (the schema uses none; jsonschema's validator checks none either), no
    # defaults filled in (the compiled check only answers, never changes the record), and
    # never a $ref fetched over the network (fastjsonschema would fetch an http(s) one).
    # A copy: fastjsonschema rewrites the $refs of the schema it is given in place.
    return fastjsonschema.compile(copy.deepcopy(definition), handlers={"http": _no_remote, "https": _no_remote},
                                  use_formats=False, use_default=False)


@lru_cache(maxsize=1)
def compiled():
    """The schema compiled once into a Python function (fastjsonschema): it tells a valid
    record in microseconds, where jsonschema's generic walk takes about a millisecond.
    It only says valid or not; an invalid record's reasons come from validator()."""
    return _compile(schema())


def schema_valid(data: dict) -> bool:
    try:
        compiled()(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


# Fields the pipelines set after ValidationPipeline checked the whole record:
# DeduplicationPipeline (url and id of an article written under its fetched URL, a URL
# conflict) and RevisionPipeline (revision, previous_fingerprint).
SET_AFTER_VALIDATION = ("id", "url", "revision", "previous_fingerprint")


def _inline(node, defs: dict):
    """A schema node with its local $refs ("#/$defs/name") replaced by what they name."""
    if isinstance(node, list):
        return [_inline(value, defs) for value in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    ref = node.pop("$ref", None)
    if ref is not None:
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"the article schema refers to {ref}: only its own $defs can be used")
        node = {**_inline(defs[ref.removeprefix("#/$defs/")], defs), **node}
    return {key: _inline(value, defs) for key, value in node.items()}


@lru_cache(maxsize=None)
def field_check(name: str):
    """The compiled schema of one field."""
    whole = schema()
    return _compile(_inline(whole["properties"][name], whole.get("$defs", {})))


def field_errors(data: dict, names=SET_AFTER_VALIDATION) -> dict[str, str]:
    """field -> the first schema error of its value, for the fields `names` (absent is null)."""
    errors = {}
    for name in names:
        try:
            field_check(name)(data.get(name))
        except fastjsonschema.JsonSchemaException as error:
            errors[name] = error.message.replace(error.name, name, 1)  # "data must be ..." -> "url must be ..."
    return errors


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
    errors = [] if schema_valid(data) else validator().iter_errors(data)  # nearly always valid: compiled()
    for error in sorted(errors, key=lambda e: list(e.absolute_path)):
        path = ".".join(str(p) for p in error.absolute_path) or "(item)"
        field = str(error.absolute_path[0]) if error.absolute_path else None
        source = DERIVED_FROM.get(field, field)
        if source in REQUIRED and REQUIRED[source] in reasons:
            continue  # already said, in plainer words
        reasons.append(f"{path}: {_too_long(error) or _short(error.message)}")
    return reasons + date_problems(data)
