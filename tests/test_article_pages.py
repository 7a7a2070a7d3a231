"""Page tests: each fixture page, fetched over HTTP from the loopback FP site,
read into a whole item. tests/site/FIXTURES.md says what each page contains."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from cable_crawler.extraction.pages import read_article
from cable_crawler.extraction.pages.listing import parse_listing
from cable_crawler.extraction.validation import problems, record

SEED_TEXT = Path(__file__).parent / "data" / "seed_000_746d469ef31f3483.txt"
SEED_PATH = "/2016/08/04/un-nears-deal-on-humanitarian-pause-in-aleppo-but-what-comes-next/"


def fetch(site, path: str) -> HtmlResponse:
    with urllib.request.urlopen(site.url + path, timeout=10) as reply:
        return HtmlResponse(url=reply.geturl(), body=reply.read(), headers={"Content-Type": reply.headers["Content-Type"]})


def item_for(site, path: str) -> dict:
    return dict(read_article(fetch(site, path), column="The Cable")[0])


def seed_article_paragraphs() -> list[str]:
    """The article's own paragraphs in the naive scrape: after the captions,
    before the author bio; each text once (the scrape has the lede twice)."""
    blocks = [b.strip() for b in SEED_TEXT.read_text("utf-8").split("\n\n") if b.strip()]
    start = next(i for i, b in enumerate(blocks) if "ALEPPO, SYRIA - AUGUST 4:" in b) + 1
    end = next(i for i, b in enumerate(blocks) if b.startswith("John Hudson was"))
    out: list[str] = []
    for block in blocks[start:end]:
        block = " ".join(block.split())  # the scrape keeps a raw no-break space; items never do
        if block not in out:
            out.append(block)
    return out


# ----------------------------------------------------------------------------- the seed


def test_seed_article_is_clean(site):
    item = item_for(site, SEED_PATH)
    seed = SEED_TEXT.read_text("utf-8")
    caption = ("Smoke rises as Syrian opponents burn tires to block the ground visibility of the war crafts "
               "belonging to the Russian Army and Assad regime forces at an opposition controlled "
               "neighborhood in Aleppo, Syria on August 4, 2016.")
    lead_image = {
        "url": f"{site.url}/wp-content/uploads/2016/08/gettyimages-585844176.jpg",
        "caption": caption,
        "credit": "Ibrahim Ebu Leys/Anadolu Agency/Getty Images",
        "dateline": {"place": "Aleppo, Syria", "date": "2016-08-04"},
    }
    assert caption in seed  # the fixture carries the seed's real text
    assert item["url"] == site.url + SEED_PATH
    assert item["id"] == "fp-308713"
    assert item["headline"] == "UN Nears Deal on Humanitarian Pause in Aleppo \u2014 But What Comes Next?"
    assert item["authors"] == [{
        "name": "John Hudson", "url": f"{site.url}/author/john-hudson/",
        "bio": "John Hudson was a staff writer and reporter at Foreign Policy from 2013-2017.",
    }]
    assert item["byline"] == "By John Hudson, a staff writer and reporter at Foreign Policy from 2013-2017."
    assert item["published_at"] == "2016-08-04T09:48:00-04:00"
    assert item["lead_image"] == lead_image
    assert item["images"] == [lead_image]  # alt, noscript alt, figcaption, wp-caption-text: one image
    # The body is exactly the article's paragraphs of the seed, each once.
    assert item["body"] == seed_article_paragraphs()
    assert len(item["body"]) == 13
    body_text = "\n".join(item["body"])
    for junk in ("More from Foreign Policy", "America Is a Heartbeat Away", "Biden Owns the Israel",
                 "ALEPPO, SYRIA", "Getty Images", "John Hudson was", "The Cable goes inside",
                 "Subscribe", "Sign up"):
        assert junk not in body_text
    assert [r["headline"] for r in item["related"]] == [
        "America Is a Heartbeat Away From a War It Could Lose",
        "The West\u2019s Incoherent Critique of Israel\u2019s Gaza Strategy",
        "Biden Owns the Israel-Palestine Conflict Now",
        "Taiwan\u2019s Room to Maneuver Shrinks as Biden and Xi Meet",
    ]
    assert item["dateline"] is None
    seed_words = [t for para in seed_article_paragraphs() for t in para.split() if any(c.isalnum() for c in t)]
    assert item["word_count"] == len(seed_words) == 523  # the lone "—" is not a word
    assert problems(record(item)) == []


# ----------------------------------------------------------------------------- other eras


ARTICLES = {
    # era C, two authors, body dateline, caption twice + gallery, mid-body related block
    "/2021/06/02/biden-putin-geneva-summit-expectations-arms-control-cyber/": {
        "id": "fp-1046321",
        "headline": "Biden and Putin Set a Low Bar for Geneva",
        "dek": "U.S. officials say the June 16 meeting is about restoring \u201cpredictability,\u201d not a reset.",
        "authors": ["Robbie Gramer", "Amy Mackinnon"],
        "byline": "By Robbie Gramer and Amy Mackinnon",
        "published_at": "2021-06-02T17:42:10+00:00",
        "modified_at": "2021-06-03T09:15:00+00:00",
        "dateline": "Washington",
        "lead_image": ("villa-la-grange-geneva-GettyImages-1232915021.jpg", "FABRICE COFFRINI/AFP via Getty Images", None),
        "images": 2,
        "body": (8, "WASHINGTON \u2014 When U.S. President Joe Biden sits down", "to avoid a repeat of the 2018 Helsinki summit."),
        "tags": ["Arms Control", "Diplomacy", "Russia", "United States"],
        "related": 2,
    },
    # era C, three authors "By X, Y, and Z", no image at all
    "/2021/05/28/biden-budget-request-state-department-usaid-diplomacy/": {
        "id": "fp-1045502",
        "headline": "Biden\u2019s First Budget Bets Big on Diplomacy",
        "dek": "The White House wants Congress to reverse years of cuts to the foreign service. Republicans have other ideas.",
        "authors": ["Robbie Gramer", "Jack Detsch", "Zinya Salfiti"],
        "byline": "By Robbie Gramer, Jack Detsch, and Zinya Salfiti",
        "published_at": "2021-05-28T16:05:33+00:00",
        "modified_at": "2021-05-28T16:05:33+00:00",
        "dateline": None,
        "lead_image": None,
        "images": 0,
        "body": (6, "The Biden administration on Friday asked Congress", "and this is a start.\u201d"),
        "tags": ["Congress", "Diplomacy", "State Department"],
        "related": 0,
    },
    # era C, caption dateline "NEW YORK, NEW YORK - NOVEMBER 02:"
    "/2020/11/03/united-nations-diplomats-us-election-day/": {
        "id": "fp-1024815",
        "headline": "At the U.N., Diplomats Watch America Vote\u2014and Brace for a Long Count",
        "dek": "Allies and rivals alike are preparing for weeks of uncertainty over who will lead the United States.",
        "authors": ["Colum Lynch"],
        "byline": "By Colum Lynch",
        "published_at": "2020-11-03T12:30:00+00:00",
        "modified_at": "2020-11-03T14:02:45+00:00",
        "dateline": None,
        "lead_image": ("un-flags-new-york-GettyImages-1229131090.jpg", "Spencer Platt/Getty Images",
                       {"place": "New York, New York", "date": "2020-11-02"}),
        "images": 1,
        "body": (5, "As Americans lined up at polling stations", "whatever government the American people choose.\u201d"),
        "tags": ["Elections", "United Nations", "United States"],
        "related": 0,
    },
    # era B (vip/foreign-policy), reached through the legacy thecable.foreignpolicy.com URL
    "/2015/06/10/kerry-heads-to-vienna/": {
        "id": "fp-254876",
        "headline": "Kerry Heads to Vienna as Iran Talks Enter Final Stretch",
        "dek": None,
        "authors": ["Elias Groll"],
        "byline": "BY Elias Groll",
        "published_at": "2015-06-10T19:04:00+00:00",
        "modified_at": "2015-06-10T20:31:12+00:00",
        "dateline": "Vienna",
        "lead_image": None,
        "images": 0,
        "body": (5, "VIENNA \u2014 Secretary of State John Kerry will travel", "wherever it occurs."),
        "tags": [],
        "related": 0,
    },
    # era C, a file name where the caption should be
    "/2014/12/09/un-record-humanitarian-appeal-2015/": {
        "id": "fp-138927",
        "headline": "U.N. Asks for a Record $16.4 Billion to Cope With a World on Fire",
        "dek": "Syria, South Sudan, and Iraq account for much of the largest humanitarian appeal in the organization\u2019s history.",
        "authors": ["Colum Lynch"],
        "byline": "By Colum Lynch",
        "published_at": "2014-12-09T11:27:00+00:00",
        "modified_at": "2014-12-09T11:27:00+00:00",
        "dateline": "United Nations",
        "lead_image": ("588143_090227_boxes5.jpg", "Spencer Platt/Getty Images", None),
        "images": 1,
        "body": (5, "UNITED NATIONS \u2014 The United Nations launched", "after running out of money."),
        "tags": ["Humanitarian Aid", "United Nations"],
        "related": 0,
    },
    "/2012/03/20/us-exempts-japan-and-10-eu-countries-from-iran-sanctions/": {
        "id": "fp-112418",
        "headline": "U.S. Exempts Japan and 10 EU Countries From Iran Sanctions",
        "dek": "The State Department says the countries have significantly cut their purchases of Iranian oil.",
        "authors": ["Josh Rogin"],
        "byline": "By Josh Rogin",
        "published_at": "2012-03-20T18:51:00+00:00",
        "modified_at": "2012-03-20T18:51:00+00:00",
        "dateline": None,
        "lead_image": ("clinton-state-department-GettyImages-141766012.jpg", "MANDEL NGAN/AFP/Getty Images", None),
        "images": 1,
        "body": (4, "Secretary of State Hillary Clinton announced Tuesday", "whether the remaining buyers have made similar cuts."),
        "tags": ["Iran", "Sanctions"],
        "related": 0,
    },
}


@pytest.mark.parametrize("path", list(ARTICLES))
def test_article_page_item(site, path):
    expected = ARTICLES[path]
    item = item_for(site, path)
    assert item["url"] == site.url + path
    assert item["column"] == "The Cable"
    for field in ("id", "headline", "dek", "byline", "published_at", "modified_at", "dateline", "tags"):
        assert item[field] == expected[field], field
    assert [a["name"] for a in item["authors"]] == expected["authors"]
    for author in item["authors"]:
        assert author["url"] is None or author["url"].startswith(site.url + "/author/")
    if expected["lead_image"] is None:
        assert item["lead_image"] is None
    else:
        file_name, credit, dateline = expected["lead_image"]
        assert item["lead_image"]["url"].endswith("/" + file_name)
        assert "?" not in item["lead_image"]["url"]
        assert item["lead_image"]["credit"] == credit
        assert item["lead_image"]["dateline"] == dateline
        caption = item["lead_image"]["caption"]
        assert caption is None or (credit not in caption and not caption.endswith(".jpg"))
        assert item["lead_image"] == item["images"][0]
    assert len(item["images"]) == expected["images"]
    count, first, last = expected["body"]
    body = item["body"]
    assert (len(body), body[0][: len(first)], body[-1][-len(last):]) == (count, first, last)
    assert len({p.casefold() for p in body}) == len(body)
    assert 0 < item["word_count"] <= sum(len(p.split()) for p in body)
    assert len(item["related"]) == expected["related"]
    assert all(r["url"].startswith(site.url) and r["headline"] for r in item["related"])
    assert problems(record(item)) == []


def test_template_junk_never_reaches_the_body(site):
    for path in ARTICLES:
        body = "\n".join(item_for(site, path)["body"])
        for junk in ("Read More", "Sign up for Morning Brief", "googletag", "Share", "Tweet",
                     "You have read", "Subscribe", "is a diplomacy and national security reporter",
                     "Tags:", "#gallery", "caption placeholder"):
            assert junk not in body, (path, junk)


def test_same_article_under_two_urls_has_the_same_id_and_fingerprint(site):
    a = item_for(site, "/2020/11/03/united-nations-diplomats-us-election-day/")
    b = item_for(site, "/2020/11/03/united-nations-diplomats-us-election-day-2/")
    assert a["url"] != b["url"]
    assert (a["id"], a["fingerprint"]) == (b["id"], b["fingerprint"])


def test_malformed_page_yields_an_item_that_fails_validation(site):
    item = item_for(site, "/2015/01/15/state-department-briefing/")
    assert item["body"] == []
    assert "empty body (no article paragraphs found)" in problems(record(item))


def test_legacy_url_redirects_to_the_new_article(site):
    response = fetch(site, "/posts/2015/06/10/kerry_heads_to_vienna")
    assert response.url == site.url + "/2015/06/10/kerry-heads-to-vienna/"


# ----------------------------------------------------------------------------- listings


def test_index_pages_list_the_column_entries_and_the_next_page(site):
    pages = [fetch(site, "/channel/the-cable/")]
    while (next_url := parse_listing(pages[-1]).next_url) is not None:
        pages.append(fetch(site, next_url[len(site.url):]))
    listings = [parse_listing(page) for page in pages]
    assert len(listings) == 3
    assert [len(listing.entries) for listing in listings] == [4, 4, 3]
    urls = [entry.url for listing in listings for entry in listing.entries]
    assert urls[2] == site.url + "/2021/06/02/biden-putin-geneva-summit-expectations-arms-control-cyber/?utm_source=twitter&utm_medium=social#comments"
    assert site.url + "/posts/2015/06/10/kerry_heads_to_vienna" in urls
    assert all(url.startswith(site.url) for url in urls)  # sidebar and off-site links are not entries
    assert not any("prague-to-czech" in url for url in urls)
    dates = [entry.published for listing in listings for entry in listing.entries]
    assert all(d is not None for d in dates)
    assert [d.isoformat() for d in dates] == [
        "2021-06-02", "2021-05-28", "2021-06-02", "2020-11-03",
        "2020-11-03", "2016-08-04", "2016-03-01", "2015-06-10",
        "2015-01-15", "2014-12-09", "2012-03-20",
    ]


def test_listing_without_entries_or_next_link(site):
    listing = parse_listing(fetch(site, SEED_PATH))
    assert listing.entries == [] and listing.next_url is None


@pytest.mark.parametrize("html, expected_next", [
    ('<a class="next page-numbers" href="/channel/the-cable/?results-page=3">Next</a>', "/channel/the-cable/?results-page=3"),
    ('<head><link rel="next" href="/channel/the-cable/?results-page=4"></head>', "/channel/the-cable/?results-page=4"),
    ('<a class="next page-numbers" href="/channel/the-cable/?results-page=2">Next</a>', None),  # links itself
    ("<p>no pagination</p>", None),
])
def test_next_page_link(html, expected_next):
    response = HtmlResponse(url="https://foreignpolicy.com/channel/the-cable/?results-page=2",
                            body=html.encode(), encoding="utf-8")
    next_url = parse_listing(response).next_url
    assert next_url == (None if expected_next is None else "https://foreignpolicy.com" + expected_next)


# Entries inside an article, aside, footer or related-posts block are teasers, not entries.
OUTSIDE_LISTING = ("ancestor::*[contains(@class, 'related') or contains(@class, 'fp_choose_placement')"
                   " or self::article or self::aside or self::footer]")


def _listing_by_parsel(response):
    """parse_listing as it was written on parsel's Selectors (libxml2's tree, before the
    readers moved to Lexbor's): the oracle of the test below."""
    from cable_crawler.extraction.pages.listing import ENTRY_NODES, NEXT_LINKS, ListingEntry
    from cable_crawler.extraction.processors import clean_text, date_from_url, parse_datetime

    def entry(node):
        href = (node.css("a.hed-heading::attr(href)").get()
                or node.css("h3.hed a::attr(href), h2 a::attr(href), h3 a::attr(href)").get()
                or node.css("figure a::attr(href)").get())
        if not href:
            return None
        try:
            url = response.urljoin(clean_text(href))
        except ValueError:
            return None
        when = parse_datetime(node.css("time::attr(datetime)").get())
        return ListingEntry(
            url=url, published=when.date() if when else date_from_url(url), post_id=node.xpath("@data-post-id").get(),
            headline=clean_text(node.css("h3.hed").xpath("string()").get()
                                or node.css("a.hed-heading").xpath("string()").get()),
            dek=clean_text(node.css("p.dek").xpath("string()").get()))

    entries = []
    for query in ENTRY_NODES:
        nodes = [n for n in response.css(query) if not n.xpath(OUTSIDE_LISTING)]
        if nodes:
            entries = [e for e in map(entry, nodes) if e]
            break
    next_href = next((h for q in NEXT_LINKS if (h := response.css(q).get())), None)
    try:
        next_url = response.urljoin(clean_text(next_href)) if next_href else None
    except ValueError:
        next_url = None
    return entries, None if next_url == response.url else next_url


# Index markup where the two readers could part: entries inside teasers, an entry without a
# link, script text in a headline, a <br> and an empty dek, a bad link, the fallbacks of the
# link and the next page.
TRICKY_LISTING = """<html><head><link rel="next" href=" /channel/the-cable/page/3/ "></head><body>
<div class="blog-list-layout"><div class="excerpt-content--list" data-post-id="7">
  <h3 class="hed"><a href="/2021/01/02/a/">One<script>var x = 1;</script> <b>bold</b></a></h3>
  <p class="dek">Dek<br>two</p><time datetime="2021-01-02T10:00:00-05:00">Jan</time></div>
<div class="excerpt-content--list"><a class="hed-heading" href="/2021/01/03/b/?x=1#c">Two &amp; a half</a>
  <p class="dek"></p></div>
<div class="excerpt-content--list"><p class="dek">no link</p></div>
<div class="excerpt-content--list"><h2><a href="http://[bad">Bad</a></h2></div>
<div class="excerpt-content--list"><figure><a href="/2020/05/06/c/"><img src="/i.jpg"></a></figure></div>
<article><div class="excerpt-content--list"><h3 class="hed"><a href="/2021/01/04/teaser/">T</a></h3></div></article>
<div class="related-rail"><div class="excerpt-content--list"><h3><a href="/2021/01/05/r/">R</a></h3></div></div>
</div><aside><div class="blog-list-layout"><a class="hed-heading" href="/2021/01/06/s/">S</a></div></aside>
<a class="load-more" data-href="/channel/the-cable/page/9/">More</a></body></html>"""


def test_listing_reader_reads_what_parsel_reads(site):
    """parse_listing runs Lexbor's queries on its HTML5 tree; on every index page of the fixture
    site, the saved real index page and tricky markup it reads what the parsel version read."""
    from saved_pages import saved_pages

    responses = [fetch(site, path) for path in ("/channel/the-cable/", "/channel/the-cable/page-2.html",
                                                "/channel/the-cable/page-3.html", "/channel/situation-report/",
                                                SEED_PATH)]
    responses += [page.response() for page in saved_pages() if page.layout == "listing"]
    responses.append(HtmlResponse(url="https://foreignpolicy.com/channel/the-cable/page/2/",
                                  body=TRICKY_LISTING.encode(), encoding="utf-8"))
    entries = []
    for response in responses:
        listing = parse_listing(response)
        assert (listing.entries, listing.next_url) == _listing_by_parsel(response), response.url
        entries.append(len(listing.entries))
    assert all(entries[:4]) and entries[4] == 0  # the fixture's index pages have entries, an article none
    tricky = parse_listing(responses[-1])
    assert [e.headline for e in tricky.entries] == ["Onevar x = 1; bold", "Two & a half", ""]
    assert tricky.next_url == "https://foreignpolicy.com/channel/the-cable/page/3/"


def test_seed_fixture_keeps_every_duplication_of_the_seed(site):
    """The fixture must stay as messy as the real page the seed came from."""
    html = fetch(site, SEED_PATH).text
    assert html.count("ALEPPO, SYRIA - AUGUST 4: Smoke rises") >= 3
    assert re.search(r"August 4, 2016\.  \(Photo by Ibrahim Ebu Leys", html)  # the double space
    assert html.count("a deal could emerge in the coming") >= 3  # dek + ungated + gated
    assert re.search(r'rel="author">John Hudson</a>, a staff writer', html)
    assert "John Hudson was a staff writer" in html
    assert "More from Foreign Policy" in html
