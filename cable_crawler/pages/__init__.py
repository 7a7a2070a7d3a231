"""Page readers: they find values in the markup (articles: layouts/, listings: listing.py)."""

from .article import read_article

__all__ = ["read_article"]
