"""The WordPress REST API as a second source (-a source=api|both): parsing its answers
and comparing them with what an article page says. Pure functions; the spider sends
the requests (spiders/cable.py).

Shapes as the WordPress REST API handbook documents them: /wp-json/wp/v2/categories?slug=...
answers a list of terms ({id, slug, ...}); /wp-json/wp/v2/posts?categories=<id>&page=N&per_page=M
&_embed a list of posts ({id, link, date_gmt, modified_gmt, _embedded: {author: [{name}]}}),
with the X-WP-Total / X-WP-TotalPages headers, and HTTP 400 rest_post_invalid_page_number past
the last page. date_gmt is true UTC, without an offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from cable_crawler.extraction.processors import clean_text

API_PATH = "/wp-json/wp/v2"


class ApiMalformed(ValueError):
    """An API answer that is not what WordPress documents."""


@dataclass(frozen=True, slots=True)  # one per post of the column, kept for the crawl: no __dict__
class ApiPost:
    id: int
    link: str
    date_gmt: str                 # ISO 8601 UTC with +00:00
    modified_gmt: str | None
    authors: tuple[str, ...] = ()
    title: str = ""


@dataclass
class Check:
    """What the API changes in an item (documented rule) and where the two sources disagree."""
    corrected: dict = field(default_factory=dict)      # field -> (html value, API value)
    disagreements: dict = field(default_factory=dict)  # field -> (html value, API value)


def utc_iso(gmt) -> str | None:
    """WordPress's *_gmt value ('2021-06-02T21:42:10', no offset) as ISO 8601 UTC."""
    if gmt in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(gmt).replace("Z", "+00:00"))
    except ValueError:
        raise ApiMalformed(f"not an ISO date: {gmt!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def parse_terms(data, slug: str) -> int | None:
    """The id of the term whose slug is `slug` (the crawl's channel), None when the list has none."""
    if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
        raise ApiMalformed("the terms answer is not a list of objects")
    for term in data:
        if term.get("slug") == slug:
            if not isinstance(term.get("id"), int):
                raise ApiMalformed(f"term {slug!r} has no integer id")
            return term["id"]
    return None


def parse_posts(data) -> list[ApiPost]:
    """The posts of one API page; ApiMalformed if the answer is not a list of posts."""
    if not isinstance(data, list):
        raise ApiMalformed("the posts answer is not a list")
    posts = []
    for raw in data:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), int) or not isinstance(raw.get("link"), str):
            raise ApiMalformed("a post without an integer id or a link")
        embedded = raw.get("_embedded") if isinstance(raw.get("_embedded"), dict) else {}
        authors = tuple(clean_text(a["name"]) for a in embedded.get("author") or []
                        if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"].strip())
        title = raw.get("title", {}).get("rendered", "") if isinstance(raw.get("title"), dict) else ""
        posts.append(ApiPost(id=raw["id"], link=raw["link"], date_gmt=utc_iso(raw.get("date_gmt")),
                             modified_gmt=utc_iso(raw.get("modified_gmt")), authors=authors,
                             title=clean_text(title)))
    return posts


def _names(authors) -> list[str]:
    return sorted(clean_text(a.get("name") if isinstance(a, dict) else a).casefold() for a in authors or [])


def cross_check(item: dict, post: ApiPost) -> Check:
    """Compares an article item with the API's record of the same post.
    published_at / modified_at: the API's *_gmt is true UTC, the page's offset may be a
    mislabel: the item takes the API's value (reported in `corrected`). The post id and
    the author names: a difference is a disagreement; the item keeps the page's value."""
    check = Check()
    for name, api_value in (("published_at", post.date_gmt), ("modified_at", post.modified_gmt)):
        html_value = item.get(name)
        if api_value and html_value != api_value:
            check.corrected[name] = (html_value, api_value)
    item_id = str(item.get("id") or "")
    if item_id.startswith("fp-") and item_id != f"fp-{post.id}":
        check.disagreements["id"] = (item_id, f"fp-{post.id}")
    html_authors = [a.get("name") if isinstance(a, dict) else a for a in item.get("authors") or []]
    if post.authors and _names(html_authors) != _names(post.authors):
        check.disagreements["authors"] = (html_authors, list(post.authors))
    return check
