"""One shared object per crawler (crawl state, ledger, rejects file, resume data).

The spider, pipelines, extensions and the dupefilter are built separately by
Scrapy; each asks for the shared object here and gets the same instance."""


def per_crawler(crawler, name: str, factory):
    attribute = f"_cable_{name}"
    value = getattr(crawler, attribute, None)
    if value is None:
        value = factory()
        setattr(crawler, attribute, value)
    return value
