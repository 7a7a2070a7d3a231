"""ArticleLoader: processors applied per field, derived fields computed."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cable_crawler.extraction import processors as p
from cable_crawler.extraction.loaders import ArticleLoader, first_image, unique_related
from test_processors import CAPTION_PIECES  # captions on both sides of the caption rules


@pytest.mark.parametrize("links, expected", [
    ([{"headline": "A \u2013 Foreign Policy", "url": "https://foreignpolicy.com/2021/01/01/a/?utm_source=x"},
      {"headline": "A again", "url": "https://foreignpolicy.com/2021/01/01/a/"},
      {"headline": " ", "url": "https://foreignpolicy.com/2021/01/01/b/"},
      {"headline": "C", "url": None}],
     [{"headline": "A", "url": "https://foreignpolicy.com/2021/01/01/a/"}]),
    ([], []),
])
def test_unique_related(links, expected):
    assert unique_related(links) == expected


def test_first_image_of_no_candidates_is_none():
    assert first_image([]) is None


def test_loader_fills_every_field_and_derives_the_rest():
    loader = ArticleLoader()
    loader.add_value("url", "https://www.foreignpolicy.com/2016/08/04/slug?utm_source=x")
    loader.add_value("id", "308713")
    loader.add_value("headline", ["<b>Headline</b> | Foreign Policy", "SEO headline"])
    loader.add_value("dek", "Headline")  # a dek that only repeats the headline is dropped
    loader.add_value("published_at", [None, "2016-08-04T13:48:00Z", "2016-08-04"])
    loader.add_value("body", ["WASHINGTON \u2014 One &amp; two.", "WASHINGTON \u2014 One & two.", "Three."])
    loader.add_value("authors", [{"name": None, "bio": "John Hudson was a staff writer."}])
    item = loader.load_item()
    assert item["url"] == "https://foreignpolicy.com/2016/08/04/slug/"
    assert item["id"] == "fp-308713"
    assert item["headline"] == "Headline"
    assert item["dek"] is None
    assert item["published_at"] == "2016-08-04T13:48:00+00:00"
    assert item["body"] == ["WASHINGTON \u2014 One & two.", "Three."]
    assert (item["word_count"], item["dateline"]) == (4, "Washington")
    assert item["authors"] == [{"name": "John Hudson", "url": None, "bio": "John Hudson was a staff writer."}]
    assert item["modified_at"] is None and item["images"] == [] and item["lead_image"] is None
    assert item["schema_version"] == "1.3.0" and len(item["fingerprint"]) == 64
    assert (item["revision"], item["previous_fingerprint"]) == (1, None)


def test_captions_parsed_once_per_item_give_the_same_images_and_no_shared_parts():
    """with_captions parses each rendering once per item (loader context "parsed_captions"):
    the images are those of parsing every rendering, and no two share a dateline dict."""
    from cable_crawler.extraction.loaders import article_images

    caption = {"text": "ALEPPO, SYRIA - AUGUST 4: Smoke rises. (Photo by X/AFP/Getty Images)", "credit": None}
    candidates = [
        {"url": "https://foreignpolicy.com/a.jpg", "renderings": [caption, {"text": "Smoke rises.", "credit": None}]},
        {"url": "https://foreignpolicy.com/b.jpg", "renderings": [{"text": "b.jpg", "credit": None},
                                                                   {"text": "KABUL - SEPT. 1: Other.", "credit": None}]},
        {"url": "https://foreignpolicy.com/a.jpg?w=300", "renderings": [caption]},
    ]
    shared: dict = {}
    once = article_images(candidates, {"article_year": 2016, "parsed_captions": shared})
    every = article_images(candidates, {"article_year": 2016})
    # Parsed: the first rendering of a.jpg (caption, credit and dateline: its alt text can add
    # nothing), both of b.jpg (the file name gives no caption).
    assert once == every and len(once) == 2 and len(shared) == 3
    assert once[0]["dateline"] == {"place": "Aleppo, Syria", "date": "2016-08-04"}
    assert once[1]["dateline"] == {"place": "Kabul", "date": "2016-09-01"}
    again = article_images(candidates, {"article_year": 2016, "parsed_captions": shared})
    again[0]["dateline"]["place"] = "changed"
    assert once[0]["dateline"]["place"] == "Aleppo, Syria"
    assert shared[(caption["text"], None, 2016)]["dateline"]["place"] == "Aleppo, Syria"


def test_processors_looked_up_once_stay_each_loader_class_own():
    from itemloaders.processors import MapCompose

    class ShoutingLoader(ArticleLoader):
        headline_in = MapCompose(str.upper)

    for loader_class, expected in ((ArticleLoader, "A headline"), (ShoutingLoader, "A HEADLINE"),
                                   (ArticleLoader, "A headline")):
        loader = loader_class()
        loader.add_value("headline", "A headline")
        assert loader.get_output_value("headline") == expected


@settings(max_examples=1500, deadline=None, derandomize=True, database=None)
@given(st.lists(st.tuples(st.lists(CAPTION_PIECES, max_size=5).map("".join),
                          st.sampled_from([None, "X/AFP", "Getty Images"])), max_size=4))
def test_renderings_left_unparsed_change_no_best_caption(renderings):
    from cable_crawler.extraction.loaders import with_captions
    candidate = {"url": "https://foreignpolicy.com/a.jpg",
                 "renderings": [{"text": text, "credit": credit} for text, credit in renderings]}
    every = [p.parse_caption(r["text"], credit=r["credit"], fallback_year=2016) for r in candidate["renderings"]]
    assert p.best_caption(with_captions(candidate, 2016)["renderings"]) == p.best_caption(every)


_INPUT_VALUES = ["  A  headline | Foreign Policy ", "2016-08-04T13:48:00Z", "not a date", "", "<b>Dek</b> &amp; more",
                 "https://www.foreignpolicy.com/2016/08/04/slug/amp/?utm_source=x", None, 1622294284]


@pytest.mark.parametrize("field", sorted({"url", "headline", "dek", "byline", "published_at", "modified_at", "body",
                                          "tags", "column", "id"}))
def test_each_value_processors_give_what_map_compose_gives(field):
    from itemloaders.processors import MapCompose

    from cable_crawler.extraction.loaders import EachValue
    processor = ArticleLoader().get_input_processor(field)
    assert isinstance(processor, EachValue)
    for values in ([*_INPUT_VALUES[:7]], [*_INPUT_VALUES[7:]], _INPUT_VALUES[0], None, [], "iterator"):
        def given():
            return iter(_INPUT_VALUES[:3]) if values == "iterator" else values
        try:
            expected = MapCompose(processor.function)(given())
        except ValueError:  # MapCompose wraps the function's error: EachValue lets it through, the loader wraps it
            with pytest.raises(Exception):
                processor(given())
            continue
        assert processor(given()) == expected


def test_each_value_spreads_lists_and_drops_none_as_map_compose_does():
    from itemloaders.processors import MapCompose

    from cable_crawler.extraction.loaders import EachValue

    def split_or_none(value):
        return None if value == "x" else value.split() if " " in value else value
    values = ["a b", "x", "c", ("t",)]
    assert EachValue(split_or_none)(values[:3]) == MapCompose(split_or_none)(values[:3]) == ["a", "b", "c"]


@pytest.mark.parametrize("field", ["id", "published_at", "modified_at", "authors", "body", "tags", "related", "access"])
def test_whole_processors_give_what_compose_gives(field):
    from itemloaders.processors import Compose

    from cable_crawler.extraction.loaders import Whole
    processor = ArticleLoader().get_output_processor(field)
    assert isinstance(processor, Whole)
    samples = {"authors": [{"name": "By Colum Lynch"}, {"name": "colum lynch", "url": "https://foreignpolicy.com/author/colum-lynch/"}],
               "related": [{"headline": "A | Foreign Policy", "url": "https://foreignpolicy.com/2021/01/01/a/"}],
               "access": [{"premium": "yes", "body_class": None}]}
    values = samples.get(field, _INPUT_VALUES[:4] + ["1234"])
    assert processor(values) == Compose(processor.function)(values)


def test_whole_refuses_a_function_that_takes_the_loader_context():
    from cable_crawler.extraction.loaders import Whole, article_images

    with pytest.raises(TypeError, match="use Compose"):
        Whole(article_images)
