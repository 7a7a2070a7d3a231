"""Item loaders: which processor normalizes which field.

The article page objects (pages/layouts/) only *find* raw values in the markup and
add them here, often several candidates per field (a caption rendered three
times, authors from links, byline text and bios). The processors collapse the
candidates into one clean value per field; load_item() computes the derived fields.
The rule is written in pages/layouts/base.py.
"""

from __future__ import annotations

from datetime import datetime, timezone

from itemloaders.processors import Compose, Identity, MapCompose, TakeFirst
from itemloaders.utils import arg_to_iter, get_func_args
from scrapy.loader import ItemLoader

from cable_crawler import SCHEMA_VERSION
from cable_crawler.items import ARTICLE_FIELDS, ArticleItem
from cable_crawler.extraction.processors import (
    access_level, article_id, body_dateline, body_paragraphs, canonical_url, clean_text, comparison_key,
    content_fingerprint, first_plausible_date, first_post_id, headline_text, html_to_text, iso_datetime,
    may_start_with_dateline, merge_authors, merge_images, parse_caption, parse_datetime, unique, word_count,
)

LIST_FIELDS = ("authors", "images", "body", "tags", "related")
# Computed in load_item() from the normalized fields, never read from the page (`id`
# is both: the page finds the post id, load_item turns it into the article's id).
DERIVED_FIELDS = ("schema_version", "id", "word_count", "dateline", "fingerprint", "revision",
                  "previous_fingerprint", "crawled_at")


def unique_related(links: list[dict]) -> list[dict]:
    """Teasers by canonical URL, first headline kept."""
    out = []
    for link in unique(links, key=lambda link: link.get("url") or ""):
        headline = headline_text(link.get("headline"))
        if headline and link.get("url"):
            out.append({"headline": headline, "url": canonical_url(link["url"])})
    return unique(out, key=lambda link: link["url"])


def with_captions(candidate: dict, year: int | None, parsed: dict | None = None) -> dict:
    """An image candidate as found ({'url', 'renderings': [{'text', 'credit'}]}) with its
    caption renderings parsed (parse_caption); `year` completes caption datelines. `parsed`:
    the captions of this article parsed so far (a page renders one caption several times,
    and the lead image is among the images too): each is parsed once, a copy given out.
    A rendering that cannot change the image's best_caption is left out unparsed: once a
    caption and a credit are known, only one that may start with a dateline can add one."""
    parsed = {} if parsed is None else parsed
    renderings, known = [], {"caption": False, "credit": False, "dateline": False}
    for rendering in candidate.get("renderings") or []:
        if known["caption"] and known["credit"] and (
                known["dateline"] or not may_start_with_dateline(rendering.get("text"))):
            continue
        key = (rendering.get("text"), rendering.get("credit"), year)
        if key not in parsed:
            parsed[key] = parse_caption(key[0], credit=key[1], fallback_year=year)
        caption = parsed[key]
        renderings.append({**caption, "dateline": dict(caption["dateline"]) if caption["dateline"] else None})
        known = {field: found or bool(caption[field]) for field, found in known.items()}
    return {"url": candidate.get("url"), "renderings": renderings}


def article_images(candidates: list[dict], loader_context: dict | None = None) -> list[dict]:
    """One entry per image (merge_images), captions parsed in the article's year."""
    context = loader_context or {}
    year, parsed = context.get("article_year"), context.get("parsed_captions")
    return merge_images([with_captions(candidate, year, parsed) for candidate in candidates])


def first_image(candidates: list[dict], loader_context: dict | None = None):
    images = article_images(candidates, loader_context)
    return images[0] if images else None


class EachValue(MapCompose):
    """MapCompose(function) for one function of a value that takes no loader context: the
    same values (a None result dropped, a list spread), without the set-up that MapCompose
    does on every call for functions that may take one (a ChainMap, a partial for it and
    for each function): ~1 µs a field. It takes no loader_context itself, so the loader
    passes it none."""

    def __init__(self, function):
        super().__init__(function)
        self.function = function

    def __call__(self, value):  # type: ignore[override]
        out: list = []
        function = self.function
        for each in arg_to_iter(value):
            result = function(each)
            if isinstance(result, str):
                out.append(result)
            else:
                out += arg_to_iter(result)
        return out


class Whole(Compose):
    """Compose(function) for one function of all of a field's values that takes no loader
    context: function(values), without Compose's set-up per call (see EachValue)."""

    def __init__(self, function):
        if "loader_context" in get_func_args(function):
            raise TypeError(f"{function!r} takes a loader_context: use Compose")
        super().__init__(function)
        self.function = function

    def __call__(self, value):  # type: ignore[override]
        return self.function(value)


class ArticleLoader(ItemLoader):
    default_item_class = ArticleItem
    default_input_processor = EachValue(clean_text)
    default_output_processor = TakeFirst()

    url_in = EachValue(canonical_url)
    id_out = Whole(first_post_id)
    headline_in = EachValue(headline_text)
    dek_in = EachValue(html_to_text)
    byline_in = EachValue(html_to_text)
    published_at_in = EachValue(iso_datetime)
    published_at_out = Whole(first_plausible_date)  # a template's 0001-01-01 does not hide the real date
    modified_at_in = EachValue(iso_datetime)
    modified_at_out = Whole(first_plausible_date)

    authors_in = Identity()
    authors_out = Whole(merge_authors)
    lead_image_in = Identity()
    lead_image_out = Compose(first_image)  # (takes the loader context: the article's year)
    images_in = Identity()
    images_out = Compose(article_images)
    body_in = EachValue(clean_text)  # already text: stripping "tags" would cut literal <...> in prose
    body_out = Whole(body_paragraphs)
    tags_out = Whole(unique)
    related_in = Identity()
    related_out = Whole(unique_related)
    access_in = Identity()
    access_out = Whole(access_level)

    # itemloaders looks a field's processor up on every add_value and output (getattr, the
    # item's field metadata, unbound_method): fixed per loader class, so looked up once,
    # through its documented hooks.
    _processors: dict = {}  # (loader class, field, "in"/"out") -> processor

    def _processor(self, field_name: str, direction: str, look_up):
        key = (type(self), field_name, direction)
        if key not in ArticleLoader._processors:
            ArticleLoader._processors[key] = look_up(field_name)
        return ArticleLoader._processors[key]

    def get_input_processor(self, field_name: str):
        return self._processor(field_name, "in", super().get_input_processor)

    def get_output_processor(self, field_name: str):
        return self._processor(field_name, "out", super().get_output_processor)

    def load_item(self):
        # Caption datelines without a year ("ALEPPO - AUGUST 4:") take the article's.
        published = parse_datetime(self.get_output_value("published_at"))
        self.context["article_year"] = published.year if published else None
        self.context["parsed_captions"] = {}  # each caption rendering parsed once per item (with_captions)
        item = super().load_item()
        found = item.keys()  # (Item.setdefault is MutableMapping's: a KeyError raised per missing field)
        for field in ARTICLE_FIELDS:
            if field not in found:
                item[field] = [] if field in LIST_FIELDS else None
        if item["access"] is None:
            item["access"] = access_level([])  # no markers given: nothing says subscribers only
        # Derived fields (DERIVED_FIELDS): computed from the normalized ones, never read from the page.
        item["schema_version"] = SCHEMA_VERSION
        if item["url"]:
            item["id"] = article_id(item["id"], item["url"])
        item["word_count"] = word_count(item["body"])
        item["dateline"] = body_dateline(item["body"][0]) if item["body"] else None
        item["fingerprint"] = content_fingerprint(item["headline"] or "", item["body"])
        item["revision"] = 1  # RevisionPipeline numbers later revisions from the crawl state
        item["previous_fingerprint"] = None
        if item["dek"] and item["headline"] and comparison_key(item["dek"]) == comparison_key(item["headline"]):
            item["dek"] = None  # some templates echo the headline in the dek slot
        item["crawled_at"] = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        return item
