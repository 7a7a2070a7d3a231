"""Issue 9's cases found on more FP pages, each read from its saved page in tests/pages/.

Every page is built for its case from real FP text (meta.json's `source` says from where);
the test reads it the way the spider does, with cable_crawler.extraction.pages.read_article,
and asserts the fields of the case. The whole expected items are tests/pages' expected.json.
"""

import json
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from cable_crawler.extraction.pages import read_article

PAGES = Path(__file__).parent / "pages"


def read_saved_page(layout: str, name: str) -> dict:
    folder = PAGES / layout / name
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    response = HtmlResponse(url=meta["url"], body=(folder / "page.html").read_bytes(), encoding="utf-8")
    item, _layout = read_article(response, column="The Cable")
    return dict(item)


# --------------------------------------------------------------------------- in-body furniture

FURNITURE_BODY = [
    "Ukrainian officials are preparing to ask the NATO alliance to do more to deter possible Russian chemical and "
    "nuclear attacks amid Moscow\u2019s full-scale invasion of Ukraine, as the 30-nation alliance holds a summit "
    "meeting in Spain this week, according to a draft document provided to Foreign Policy.",
    "With Ukraine still lacking a clear path into NATO in the near term, officials in Kyiv are instead asking the "
    "alliance to extend cooperation with non-NATO states by deterring Russia against launching chemical or nuclear "
    "weapons attacks. Also on the menu are Ukrainian requests for protection against Russian cyberattacks and "
    "possible Kremlin targeting of critical nuclear infrastructure. Those fears have grown after Russian troops "
    "seized the Zaporizhzhya Nuclear Power Plant, Europe\u2019s largest, on the banks of the Dnipro River in March.",
    "Ukrainian officials are worried that Russia\u2019s seizure of nuclear power plants could give them a springboard "
    "for new attacks\u2014which they dub \u201cstate nuclear terrorism\u201d\u2014or increase the risk of a meltdown. "
    "\u201cThe possible nuclear accident that could result either from reckless actions of occupying forces on the "
    "territory of the seized nuclear facilities or from hostilities taking place on their territory or in close "
    "proximity to them will have severe devastating repercussions for the entire continent,\u201d the statement, "
    "provided by a Ukrainian military official, read.",
    "Ukrainian officials are also asking for the \u201cestablishment of effective measures of deterrence\u201d should "
    "Russia resort to a chemical or nuclear weapons attack against Ukraine during the course of the war.",
]


def test_in_body_furniture_is_never_a_paragraph():
    item = read_saved_page("current", "case-in-body-furniture")
    assert item["body"] == FURNITURE_BODY


@pytest.mark.parametrize("furniture", [
    "Tap or hover over a marker",                      # div.graphic-chatter
    "Situation Report",                                # div.newsletter-unit-signup title
    "Your weekly guide to the national security news",  # its text
    "Get the Morning Brief",                           # div.newsletter-unit-signup--shortcode-fallback
    "Russia\u2019s War in Ukraine: our full coverage",  # div.sidebar-box_right
    "Foreign Policy is tracking the war",              # style="height:0;opacity:0;"
])
def test_in_body_furniture_text_is_nowhere_in_the_body(furniture):
    item = read_saved_page("current", "case-in-body-furniture")
    assert not [p for p in item["body"] if furniture in p]


def test_pull_quotes_repeated_from_the_text_are_no_paragraphs():
    body = read_saved_page("current", "case-in-body-furniture")["body"]
    # the div.pull-quote-sidebar quote and the bare <blockquote> one each repeat a body sentence
    assert not [p for p in body if p.startswith("\u201cThe possible nuclear accident")]
    assert not [p for p in body if p.startswith("\u201cThose fears have grown")]
    assert sum("Those fears have grown" in p for p in body) == 1


def test_apple_converted_space_is_a_space_between_words():
    """span.Apple-converted-space (text pasted from Apple apps) holds the space between two
    words: dropping it as junk would glue them ("term,officials"); a paragraph holding
    only one is empty, so no paragraph."""
    body = read_saved_page("current", "case-in-body-furniture")["body"]
    paragraph = next(p for p in body if p.startswith("With Ukraine still lacking"))
    assert "in the near term, officials in Kyiv" in paragraph
    assert "critical nuclear infrastructure. Those fears" in paragraph
    assert all(p.strip() for p in body)


# --------------------------------------------------------------------------- captions and credits

def test_a_caption_that_is_only_a_credit_gives_no_caption_and_that_credit():
    item = read_saved_page("fp2017", "case-credit-only-captions")
    assert item["lead_image"]["caption"] is None
    assert item["lead_image"]["credit"] == "Photo illustration by Foreign Policy"
    assert [(image["caption"], image["credit"]) for image in item["images"]] == [
        (None, "Photo illustration by Foreign Policy"),
        (None, "AFP via Getty Images"),
        (None, "Getty Images"),
    ]


def test_credit_forms_lose_their_lead_in_words():
    item = read_saved_page("current", "case-credit-forms")
    # "... two years ago. AFP PHOTO / ALEXEY SAZONOV (Photo credit should read Alexey SAZONOV/AFP/Getty Images)"
    assert item["lead_image"]["caption"].endswith("a move that sparked rioting two years ago.")
    assert item["lead_image"]["credit"] == "Alexey SAZONOV/AFP/Getty Images"
    le_carre = [image for image in item["images"] if "le-carre" in image["url"]]
    assert [(image["caption"], image["credit"]) for image in le_carre] == [
        ("British best-selling author John le Carr\u00e9 on Oct. 16, 2017.",
         "Christian Charisius/picture alliance via Getty Images"),
    ]


# --------------------------------------------------------------------------- authors

@pytest.mark.parametrize("name", ["case-joined-authors-meta", "case-joined-authors-jsonld"])
def test_authors_joined_by_ampersand_are_two_authors(name):
    item = read_saved_page("current", name)
    assert [author["name"] for author in item["authors"]] == ["Robbie Gramer", "Amy Mackinnon"]
    assert [author["url"] for author in item["authors"]] == [
        "https://foreignpolicy.com/author/robbie-gramer/", "https://foreignpolicy.com/author/amy-mackinnon/"]
