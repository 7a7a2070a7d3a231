"""The documentation agrees with the schema and the code, and its links lead somewhere.

docs/output.md's field table and schema/article.schema.json must list the same
fields (a field added to one and not the other fails here), every schema property
carries a description, the schema version is the same everywhere, and every
relative link in README.md and docs/ points at a file (and heading) that exists.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

import cable_crawler

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "cable_crawler" / "schema" / "article.schema.json"
OUTPUT_DOC = ROOT / "docs" / "output.md"
MARKDOWN_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text("utf-8"))


def nested_objects(schema: dict) -> dict[str, dict]:
    """The schema's objects with properties, by the prefix their fields carry in the table."""
    return {
        "": schema,
        "authors[].": schema["properties"]["authors"]["items"],
        "related[].": schema["properties"]["related"]["items"],
        "image.": schema["$defs"]["image"],
        "image.dateline.": schema["$defs"]["caption_dateline"],
    }


def all_property_maps(node):
    """Every `properties` object anywhere in the schema."""
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            yield node
        for value in node.values():
            yield from all_property_maps(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_property_maps(value)


def schema_field_names(schema: dict) -> set[str]:
    return {prefix + name for prefix, obj in nested_objects(schema).items() for name in obj["properties"]}


def output_section(text: str) -> str:
    start = text.index("## Output schema")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def table_field_names(text: str) -> list[str]:
    """First-column names of the field table: rows whose first cell is one `code` span."""
    names = []
    for line in output_section(text).splitlines():
        match = re.match(r"\|\s*`([^`]+)`\s*\|", line)
        if match:
            names.append(match.group(1))
    return names


def test_every_nested_object_is_documented_under_a_known_prefix(schema):
    # A new object field (with its own properties) needs a prefix in nested_objects and rows in the table.
    known = {id(obj) for obj in nested_objects(schema).values()}
    unknown = [sorted(node["properties"]) for node in all_property_maps(schema) if id(node) not in known]
    assert unknown == []


def test_field_table_lists_exactly_the_schema_fields(schema):
    documented = table_field_names(OUTPUT_DOC.read_text("utf-8"))
    assert len(documented) == len(set(documented)), "a field has two rows"
    expected = schema_field_names(schema)
    assert sorted(expected - set(documented)) == [], "in the schema, missing from docs/output.md's table"
    assert sorted(set(documented) - expected) == [], "in docs/output.md's table, not in the schema"


def test_field_table_follows_the_record_key_order(schema):
    top_level = [name for name in table_field_names(OUTPUT_DOC.read_text("utf-8")) if name in schema["properties"]]
    from cable_crawler.items import ARTICLE_FIELDS
    assert top_level == list(ARTICLE_FIELDS)


def test_every_property_has_a_description(schema):
    missing = [name for node in all_property_maps(schema) for name, prop in node["properties"].items()
               if not (isinstance(prop.get("description"), str) and prop["description"].strip())]
    assert missing == []


def test_schema_description_points_at_existing_docs(schema):
    for path in re.findall(r"\b(?:docs/[\w.-]+\.md|README\.md)", schema["description"]):
        assert (ROOT / path).is_file(), path


def test_schema_version_is_the_same_everywhere(schema):
    text = OUTPUT_DOC.read_text("utf-8")
    heading = re.search(r"^## Output schema \(version (\d+\.\d+\.\d+)\)", text, re.MULTILINE)
    assert heading, "docs/output.md has no '## Output schema (version X.Y.Z)' heading"
    version = schema["x-schema-version"]
    assert heading.group(1) == version
    assert schema["properties"]["schema_version"]["const"] == version
    assert cable_crawler.SCHEMA_VERSION == version
    row = next(line for line in output_section(text).splitlines() if line.startswith("| `schema_version`"))
    assert f'"{version}"' in row


# ---------------------------------------------------------------- links

def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", strip_code(path.read_text("utf-8")), re.MULTILINE):
        slug = github_anchor(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        out.add(slug if count == 0 else f"{slug}-{count}")
    return out


def strip_code(text: str) -> str:
    """Text without fenced code blocks (a '# comment' in a shell block is no heading)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)


def relative_links(path: Path):
    for target in re.findall(r"\]\(([^)\s]+)\)", strip_code(path.read_text("utf-8"))):
        if not re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: are not checked
            yield target


@pytest.mark.parametrize("doc", MARKDOWN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_to_existing_files_and_headings(doc):
    broken = []
    for target in relative_links(doc):
        file_part, _, anchor = target.partition("#")
        linked = (doc.parent / file_part).resolve() if file_part else doc
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no such heading in {linked.name}")
    assert broken == []


def test_readme_links_to_every_docs_page():
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in relative_links(ROOT / "README.md")}
    pages = {path.resolve() for path in (ROOT / "docs").glob("*.md")}
    assert sorted(str(p.relative_to(ROOT)) for p in pages - linked) == []


def test_readme_opens_with_the_set_up_commands_and_stays_short():
    lines = (ROOT / "README.md").read_text("utf-8").splitlines()
    opening = "\n".join(lines[:10])
    assert "make crawl" in opening and "make test" in opening
    assert len(lines) <= 160


# ---------------------------------------------------------------- no paths out of the repository

def test_no_tracked_file_points_outside_the_repository():
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    needle = ("../" + "shared").encode()  # spelled in two parts so that this file does not match
    offenders = []
    for name in filter(None, listed.stdout.decode("utf-8", "surrogateescape").split("\0")):
        path = ROOT / name
        if path.is_file() and needle in path.read_bytes():
            offenders.append(name)
    assert offenders == []
