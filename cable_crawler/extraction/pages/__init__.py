"""Page readers: they find values in the markup (articles: layouts/, listings: listing.py)."""

from cable_crawler.extraction.pages.article import read_article

__all__ = ["read_article"]
