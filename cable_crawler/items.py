"""Item classes. Field meanings are documented in docs/output.md and
enforced by schema/article.schema.json."""

import scrapy

# Key order of every JSONL line: stable, so diffs between crawls stay readable.
ARTICLE_FIELDS = (
    "schema_version", "id", "url", "column", "access", "headline", "dek", "authors", "byline",
    "published_at", "modified_at", "dateline", "lead_image", "images", "body",
    "word_count", "tags", "related", "fingerprint", "revision", "previous_fingerprint", "crawled_at",
)


class ArticleItem(scrapy.Item):
    schema_version = scrapy.Field()
    id = scrapy.Field()
    url = scrapy.Field()
    column = scrapy.Field()
    access = scrapy.Field()  # "free" or "subscriber" (FP Insider / premium posts)
    headline = scrapy.Field()
    dek = scrapy.Field()
    authors = scrapy.Field()
    byline = scrapy.Field()
    published_at = scrapy.Field()
    modified_at = scrapy.Field()
    dateline = scrapy.Field()
    lead_image = scrapy.Field()
    images = scrapy.Field()
    body = scrapy.Field()
    word_count = scrapy.Field()
    tags = scrapy.Field()
    related = scrapy.Field()
    fingerprint = scrapy.Field()
    revision = scrapy.Field()
    previous_fingerprint = scrapy.Field()
    crawled_at = scrapy.Field()
    # Where the page was fetched (`url` may come from its canonical link). Not part of the
    # record: DeduplicationPipeline takes it off (duplicate log lines, URL conflicts).
    fetched_url = scrapy.Field()
    # The column index entry the page was requested from ({url, signature}), carried from the
    # request's meta for the crawl state. Not part of the record: ValidationPipeline hands it to
    # IncrementalCrawl.listed(), which takes it off.
    listing = scrapy.Field()


class PageFailure(scrapy.Item):
    """A page the spider could not turn into an article (HTTP error, timeout,
    DNS failure...). Not an article: the validation pipeline records it in the
    rejects file so that nothing the crawl attempted disappears silently."""

    url = scrapy.Field()
    reason = scrapy.Field()
    status = scrapy.Field()
    # For the crawl state (not written to the rejects file): the URL as requested, whether the
    # failure may pass on a later run, what the index showed, and earlier runs it failed in.
    page_kind = scrapy.Field()
    requested_url = scrapy.Field()
    retry = scrapy.Field()
    listing = scrapy.Field()
    failed_runs = scrapy.Field()
    given_up = scrapy.Field()  # why it is not tried again (a second reason in the rejects file)

