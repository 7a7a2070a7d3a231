"""Extraction: from an HTML response to a normalized item.

    pages/          page readers: they *find* raw candidates (article page objects per
                    layout in pages/layouts/, the column index in pages/listing.py)
    processors.py   pure functions that *normalize* (text, dates, URLs, bylines, captions)
    loaders.py      ArticleLoader: which processor applies to which field; derived fields
    validation.py   the JSON Schema and the readable reasons an item is not an article
    boundary.py     which URLs belong to the crawled site: the one rule for urls=, the
                    site boundary middleware, the spider, canonical links, scrapy parse
"""
