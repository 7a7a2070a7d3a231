"""The compiled schema (validation.compiled(), fastjsonschema) says what jsonschema says.

Each item is validated once, by the compiled check; jsonschema only lists the errors of a
record the compiled check found invalid. So the two must agree on every record: here, a valid
article with each field, and each field of its nested objects, replaced by values of every
kind the schema rules out or allows (too long, wrong type, bad pattern, duplicates, missing)."""

import copy
import json
from pathlib import Path

import pytest

from cable_crawler.extraction import validation
from cable_crawler.extraction.validation import SET_AFTER_VALIDATION, field_errors, schema, schema_valid

REPO = Path(__file__).resolve().parent.parent
EXPECTED = sorted((REPO / "tests" / "pages").glob("*/*/expected.json"))

VALUES = [None, "", " ", "x", "x" * 1001, "x" * 70000, 0, -1, 1, 2.5, True, [], ["x"], ["x", "x"], ["x"] * 600,
          {}, {"name": "x"}, "https://foreignpolicy.com/2021/06/02/a/", "http://a b/", "ftp://x/",
          "2021-06-02T17:42:10+00:00", "2021-06-02", "fp-123", "url-" + "0" * 16, "0" * 64, "f" * 63,
          "free", "paywalled", "1.3.0", [{"name": "A"}], [{"name": ""}], [{"src": "https://x.org/a.jpg"}],
          {"src": "https://x.org/a.jpg", "alt": None, "caption": None, "credit": None}]


def articles() -> list[dict]:
    records = []
    for path in EXPECTED:
        data = json.loads(path.read_text("utf-8"))
        if isinstance(data, dict) and "rejected" not in data:
            data = {**data, "crawled_at": "2026-11-25T00:00:00+00:00"}  # not kept in expected.json
            if set(data) == set(schema()["properties"]):
                records.append(data)
    return records


def variants(record: dict):
    """The record with one field (or one key of a nested object) replaced or removed."""
    for name in record:
        removed = dict(record)
        del removed[name]
        yield removed
        for value in VALUES:
            yield {**record, name: value}
        inner = record[name]
        nested = inner[0] if isinstance(inner, list) and inner and isinstance(inner[0], dict) else inner
        if isinstance(nested, dict):
            for key in list(nested) + ["unknown"]:
                for value in VALUES[:12]:
                    changed = copy.deepcopy(record)
                    target = changed[name][0] if isinstance(changed[name], list) else changed[name]
                    target[key] = value
                    yield changed
    yield {**record, "unexpected": 1}
    yield []
    yield "record"


def reference_valid(data) -> bool:
    return not any(True for _ in validation.validator().iter_errors(data))


def test_the_saved_pages_give_valid_records():
    records = articles()
    assert len(records) >= 10
    assert all(schema_valid(r) and reference_valid(r) for r in records)


@pytest.mark.parametrize("record", articles()[:4], ids=lambda r: r["url"].rstrip("/").rsplit("/", 1)[-1][:40])
def test_compiled_schema_agrees_with_jsonschema(record):
    checked = disagreements = valid = 0
    for data in variants(record):
        checked += 1
        valid += reference_valid(data)
        if schema_valid(data) != reference_valid(data):
            disagreements += 1
            print("disagree:", {k: (str(v)[:80]) for k, v in data.items()} if isinstance(data, dict) else data)
    assert checked > 500 and disagreements == 0
    assert 20 < valid < checked - 400  # both answers are exercised


def test_problems_come_from_jsonschema_for_an_invalid_record():
    record = articles()[0]
    assert validation.problems(record) == []
    reasons = validation.problems({**record, "tags": ["x", "x"], "word_count": -1})
    assert any(r.startswith("tags: ['x', 'x'] has non-unique elements") for r in reasons), reasons
    assert any(r.startswith("word_count: -1 is less than the minimum") for r in reasons), reasons


def test_field_checks_match_the_whole_schema():
    record = articles()[0]
    assert field_errors(record) == {}
    for name in SET_AFTER_VALIDATION:
        for value in VALUES:
            changed = {**record, name: value}
            assert (name in field_errors(changed, [name])) == (not reference_valid(changed)), (name, value)


def test_the_schema_given_to_the_compiler_is_left_as_it_was():
    # fastjsonschema rewrites the $refs of the dict it compiles: it gets copies
    before = json.dumps(schema(), sort_keys=True)
    validation.compiled.cache_clear()
    validation.field_check.cache_clear()
    validation.compiled()
    validation.field_check("url")
    assert json.dumps(schema(), sort_keys=True) == before
    assert "#/$defs/http_url" in before
