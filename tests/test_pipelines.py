"""Pipelines: validation -> rejects file, deduplication, JSONL writing."""

import json

import pytest
from scrapy.exceptions import DropItem

from cable_crawler.incremental import rejects
from cable_crawler.incremental.component import IncrementalCrawl
from cable_crawler.items import ARTICLE_FIELDS, ArticleItem, PageFailure
from cable_crawler.pipelines import DeduplicationPipeline, JsonLinesWriterPipeline, ValidationPipeline
from cable_crawler.extraction.processors import content_fingerprint
from cable_crawler.extraction.validation import problems, record


def article(**overrides) -> ArticleItem:
    body = overrides.pop("body", ["WASHINGTON \u2014 First paragraph.", "Second."])
    values = {
        "schema_version": "1.3.0", "id": "fp-1", "url": "https://foreignpolicy.com/2021/06/02/a/",
        "column": "The Cable", "access": "free", "headline": "A headline", "dek": None,
        "authors": [{"name": "Robbie Gramer", "url": None, "bio": None}], "byline": "By Robbie Gramer",
        "published_at": "2021-06-02T17:42:10+00:00", "modified_at": None, "dateline": "Washington",
        "lead_image": None, "images": [], "body": body, "word_count": 5, "tags": [], "related": [],
        "fingerprint": content_fingerprint(overrides.get("headline", "A headline"), body),
        "revision": 1, "previous_fingerprint": None,
        "crawled_at": "2026-11-25T00:00:00+00:00",
    }
    values.update(overrides)
    return ArticleItem(**values)


def test_item_fields_match_the_schema():
    from cable_crawler.extraction.validation import schema
    # fetched_url and listing (the index entry, for the crawl state) are never written
    assert set(ArticleItem.fields) - {"fetched_url", "listing"} == set(ARTICLE_FIELDS)
    assert set(schema()["properties"]) == set(ARTICLE_FIELDS)


@pytest.mark.parametrize("overrides, expected_reason", [
    ({"headline": None}, "missing headline"),
    ({"body": []}, "empty body (no article paragraphs found)"),
    ({"published_at": None}, "missing published_at (no date found on the page)"),
    ({"url": None}, "missing url"),
    ({"published_at": "August 4"}, "published_at: 'August 4' does not match"),
    ({"authors": [{"name": "", "url": None, "bio": None}]}, "authors.0.name"),
    ({"tags": ["x", "x"]}, "tags: ['x', 'x'] has non-unique elements"),
    ({"id": "1045575"}, "id: '1045575' does not match"),
])
def test_problems_name_the_field(overrides, expected_reason):
    reasons = problems(record(article(**overrides)))
    assert any(r.startswith(expected_reason) for r in reasons), reasons


def test_valid_article_has_no_problems():
    assert problems(record(article())) == []


def test_invalid_item_goes_to_rejects_file_with_reasons_and_is_counted(crawler, tmp_path):
    pipeline = ValidationPipeline.from_crawler(crawler)
    assert pipeline.process_item(article(), crawler.spider)["id"] == "fp-1"
    with pytest.raises(DropItem):
        pipeline.process_item(article(headline=None, body=[]), crawler.spider)
    with pytest.raises(DropItem):
        pipeline.process_item(PageFailure(url="https://foreignpolicy.com/x/", status=404,
                                          reason="article page: HTTP 404"), crawler.spider)
    IncrementalCrawl.of(crawler).rejects.spider_closed(crawler.spider, "finished")
    [rejects_file] = (tmp_path / "output").glob("rejects-*.jsonl")
    lines = [json.loads(line) for line in rejects_file.read_text().splitlines()]
    assert [r["kind"] for r in lines] == ["invalid_item", "page_failure"]
    assert lines[0]["reasons"] == ["missing headline", "empty body (no article paragraphs found)"]
    assert lines[0]["url"] == "https://foreignpolicy.com/2021/06/02/a/"
    assert lines[1] == {**lines[1], "url": "https://foreignpolicy.com/x/", "reasons": ["article page: HTTP 404"]}
    stats = crawler.stats.get_stats()
    assert stats["cable/rejects"] == 2
    assert stats["cable/rejects/missing_headline"] == 1
    assert stats["cable/rejects/article_page_http_404"] == 1


def test_duplicates_by_id_or_content_are_dropped_and_counted(crawler):
    pipeline = DeduplicationPipeline.from_crawler(crawler)
    first = article()
    assert pipeline.process_item(first, crawler.spider) is first
    same_id = article(url="https://foreignpolicy.com/2021/06/02/a-2/", body=["Other text."])
    same_url_same_content = article(id="fp-2")
    same_content = article(id="url-0123456789abcdef0123", url="https://foreignpolicy.com/2021/06/02/copy/")
    for duplicate in (same_id, same_url_same_content, same_content):
        with pytest.raises(DropItem, match="duplicate of https://foreignpolicy.com/2021/06/02/a/"):
            pipeline.process_item(duplicate, crawler.spider)
    other = article(id="fp-3", url="https://foreignpolicy.com/2021/06/03/b/", headline="B", body=["B body."])
    assert pipeline.process_item(other, crawler.spider) is other
    assert crawler.stats.get_value("cable/duplicates") == 3


def test_a_canonical_link_taking_another_articles_url_is_a_conflict_not_a_duplicate(crawler, tmp_path):
    pipeline = DeduplicationPipeline.from_crawler(crawler)
    a_url, b_url = "https://foreignpolicy.com/2021/06/02/a/", "https://foreignpolicy.com/2021/06/02/b/"
    assert pipeline.process_item(article(fetched_url=a_url), crawler.spider)["url"] == a_url
    # B's canonical link names A's URL; B has another id and other content: kept under its own URL.
    borrower = article(id="url-0123456789abcdef0123", url=a_url, fetched_url=b_url, body=["B text."])
    kept = pipeline.process_item(borrower, crawler.spider)
    assert kept["url"] == b_url and kept["id"] != "url-0123456789abcdef0123"  # a URL-derived id follows the URL
    assert "fetched_url" not in kept  # never written
    # A page fetched at a URL another page already took: rejected with the reason, not dropped silently.
    owner = article(id="fp-9", url=b_url, fetched_url=b_url, body=["The real B."])
    with pytest.raises(DropItem, match="URL conflict"):
        pipeline.process_item(owner, crawler.spider)
    IncrementalCrawl.of(crawler).rejects.spider_closed(crawler.spider, "finished")
    [reject] = [json.loads(line) for f in (tmp_path / "output").glob("rejects-*.jsonl") for line in f.read_text("utf-8").splitlines()]
    assert reject["url"] == b_url and reject["kind"] == "conflict"
    assert reject["reasons"][0].startswith(f"article page: URL conflict: {b_url} was already written")
    assert crawler.stats.get_value("cable/url_conflicts") == 2
    assert crawler.stats.get_value("cable/duplicates") is None


def test_the_duplicate_log_line_names_the_fetched_url(crawler, caplog):
    caplog.set_level("INFO")
    pipeline = DeduplicationPipeline.from_crawler(crawler)
    pipeline.process_item(article(), crawler.spider)
    with pytest.raises(DropItem):
        pipeline.process_item(article(fetched_url="https://foreignpolicy.com/2021/06/02/a-copy/"), crawler.spider)
    assert "duplicate: https://foreignpolicy.com/2021/06/02/a-copy/ (written as" in caplog.text


def test_writer_writes_one_object_per_line_in_schema_key_order(crawler, tmp_path):
    pipeline = JsonLinesWriterPipeline.from_crawler(crawler)
    pipeline.process_item(article(headline="Encarnación\u2019s \u201cpoint\u201d"), crawler.spider)
    pipeline.process_item(article(id="fp-2"), crawler.spider)
    assert not list((tmp_path / "output").glob("*.jsonl"))  # only the .part file until the crawl closes
    pipeline.spider_closed(crawler.spider, "finished")
    [out] = (tmp_path / "output").glob("the-cable-*.jsonl")
    raw = out.read_bytes()
    assert "Encarnación\u2019s \u201cpoint\u201d".encode("utf-8") in raw  # UTF-8, not \\u escapes
    lines = [json.loads(line) for line in raw.decode("utf-8").splitlines()]
    assert [list(line) for line in lines] == [list(ARTICLE_FIELDS)] * 2
    assert crawler.stats.get_value("cable/articles_written") == 2


@pytest.mark.parametrize("reason, key", [
    ("article page: HTTP 404", "article_page_http_404"),
    ("index page: TimeoutError: Getting http://x took longer than 30.0 seconds.", "index_page_timeouterror"),
    ("published_at: 'August 4' does not match '^\\\\d{4}'", "invalid_published_at"),
    ("empty body (no article paragraphs found)", "empty_body"),
    ("missing headline", "missing_headline"),
])
def test_reason_stats_keys(reason, key):
    assert rejects.reason_key(reason) == key


def test_writer_without_articles_leaves_no_file(crawler, tmp_path):
    pipeline = JsonLinesWriterPipeline.from_crawler(crawler)
    pipeline.spider_closed(crawler.spider, "finished")
    assert list((tmp_path / "output").glob("*.jsonl*")) == []


@pytest.fixture
def monitored(tmp_path):
    """The crawler fixture's settings with Spidermon on (as the project's settings have it)."""
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from conftest import INCREMENTAL

    crawler = get_crawler(Spider, {**INCREMENTAL, "SPIDERMON_ENABLED": True,
                                   "CABLE_OUTPUT_DIR": str(tmp_path / "output"),
                                   "CABLE_STATE_DIR": str(tmp_path / "state")})
    crawler.spider = Spider(name="cable")
    return crawler


def test_each_item_is_validated_once_against_the_compiled_schema(monitored, monkeypatch):
    """Issue 12: every item was validated twice (ValidationPipeline, then Spidermon's
    ItemValidationPipeline on the same schema), by jsonschema's generic walk. Now once, compiled."""
    from cable_crawler import settings
    from cable_crawler.extraction import validation
    from cable_crawler.pipelines import RevisionPipeline, WrittenItemsValidationPipeline

    assert "spidermon.contrib.scrapy.pipelines.ItemValidationPipeline" not in settings.ITEM_PIPELINES
    assert "cable_crawler.pipelines.WrittenItemsValidationPipeline" in settings.ITEM_PIPELINES
    whole, walks = [], []
    check = validation.compiled()
    monkeypatch.setattr(validation, "compiled", lambda: lambda data: whole.append(data) or check(data))
    reference = validation.validator()
    monkeypatch.setattr(validation, "validator", lambda: walks.append(1) or reference)
    crawler = monitored
    chain = [ValidationPipeline, DeduplicationPipeline, RevisionPipeline, JsonLinesWriterPipeline,
             WrittenItemsValidationPipeline]
    item = article()
    for pipeline in [p.from_crawler(crawler) for p in chain]:
        item = pipeline.process_item(item, crawler.spider)
    assert len(whole) == 1 and walks == []  # one compiled check; jsonschema only lists an invalid item's errors
    stats = crawler.stats.get_stats()
    assert stats["spidermon/validation/items"] == stats["cable/articles_written"] == 1
    assert "spidermon/validation/items/errors" not in stats
    with pytest.raises(DropItem):
        ValidationPipeline.from_crawler(crawler).process_item(article(headline=None), crawler.spider)
    assert walks == [1]  # the rejects file's reasons still come from jsonschema


def test_fields_set_after_validation_are_checked_into_spidermons_stats(monitored):
    """What the pipelines set after ValidationPipeline (revision, previous_fingerprint, url, id)
    is checked when the article comes through: an invalid value is counted where the Schema
    monitor looks (spidermon/validation/items/errors)."""
    from cable_crawler.pipelines import WrittenItemsValidationPipeline

    crawler = monitored
    pipeline = WrittenItemsValidationPipeline.from_crawler(crawler)
    pipeline.process_item(article(), crawler.spider)
    pipeline.process_item(article(revision=0, previous_fingerprint="not-a-fingerprint"), crawler.spider)
    stats = crawler.stats.get_stats()
    assert stats["spidermon/validation/items"] == 2
    assert stats["spidermon/validation/items/errors"] == 1
    assert stats["spidermon/validation/fields/errors"] == 2
    assert stats["spidermon/validation/fields"] == 2 * len(ARTICLE_FIELDS)
    assert any(k.startswith("spidermon/validation/fields/errors/") and k.endswith("/revision") for k in stats)
    assert stats["spidermon/validation/validators/item/jsonschema"] is True


def test_written_items_validation_is_off_with_spidermon(crawler):
    from scrapy.exceptions import NotConfigured

    from cable_crawler.pipelines import WrittenItemsValidationPipeline

    assert not crawler.settings.getbool("SPIDERMON_ENABLED")
    with pytest.raises(NotConfigured):
        WrittenItemsValidationPipeline.from_crawler(crawler)
