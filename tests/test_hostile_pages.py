"""Hostile pages: one page must never hold the crawl, nor lose a good article to one bad part.

Each end-to-end test serves its pages from a real server on 127.0.0.1 to a real
`scrapy crawl`; the subprocess timeouts are hang guards, not performance claims.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import time

import pytest
from scrapy.http import HtmlResponse

from cable_crawler.crawl import parse_guard

from cable_crawler.extraction import processors as p
from cable_crawler.extraction.pages import markup, read_article
from cable_crawler.extraction.pages.markup import PAGE_LIMITS, PageCuts, jsonld_article, page_root
from cable_crawler.extraction.pages.encoding import corrected_encoding, readable
from cable_crawler.crawl.parse_guard import SHUTDOWN_PARSE_SECONDS, ParseAbandoned, parse_time_limit
from conftest import REPO, crawl_command, crawl_env, scrapy_crawl
from fpsite import ARTICLE_A, SITE_DIR
from pagesite import HTML, PageSite

pytestmark = pytest.mark.reliability

TEMPLATE = (SITE_DIR / ARTICLE_A / "index.html").read_text("utf-8")
HANG_GUARD = 120  # seconds: a crawl of a few pages that is not done by then hangs


def article_html(n: int, head: str = "", byline: str = "", body: str = "") -> str:
    """Article A as a distinct article n (own URL, post id and text), with hostile parts added."""
    slug = f"2021/06/02/hostile-{n}"
    html = (TEMPLATE.replace(ARTICLE_A, slug).replace("1046321", str(3000000 + n))
            .replace("<p>WASHINGTON", f"<p>Hostile page number {n}.</p>{body}<p>WASHINGTON", 1))
    html = html.replace("<head>", "<head>" + head, 1)
    return html.replace('<address class="author-list">', '<address class="author-list">' + byline, 1)


def slow_paragraphs(chars: int, count: int = 3) -> str:
    """Text that makes clean_text's mojibake repair walk every character (and fail at
    the end): the one page cost no per-page bound removes, so the time limit must.
    (2 bytes a character; a paragraph stays under libxml2's 10 MB text limit.) Each paragraph
    is another text (its number first): clean_text keeps the answer for a text it has seen."""
    return "".join(f"<p>{n}\u00c3" + "\u0081" * chars + "</p>" for n in range(count))


def page_path(n: int) -> str:
    return f"/2021/06/02/hostile-{n}/"


def html_page(html) -> tuple:
    return html, HTML


def crawl_pages(tmp_path, pages: dict, settings: dict | None = None):
    with PageSite(pages) as site:
        urls = ",".join(site.url + path for path in pages)
        result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", f"urls={urls}",
                              settings=settings, timeout=HANG_GUARD)
    by_path = {a["url"][len(site.url):]: a for a in result.articles}
    rejected = {r["url"][len(site.url):]: r["reasons"] for r in result.rejects}
    return result, by_path, rejected


# --------------------------------------------------------------------------- end to end


def test_20000_jsonld_authors_are_cut_and_the_article_written(tmp_path):
    authors = [{"@type": "Person", "name": f"Writer Number{i:05d}"} for i in range(20000)]
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "author": authors})
    page = article_html(1, head=f'<script type="application/ld+json">{ld}</script>')
    result, articles, rejected = crawl_pages(tmp_path, {page_path(1): html_page(page)})
    [article] = articles.values()
    names = [a["name"] for a in article["authors"]]
    assert names[:2] == ["Robbie Gramer", "Amy Mackinnon"]  # the real byline first
    assert "Writer Number00000" in names and "Writer Number19999" not in names
    assert len(names) <= 2 + PAGE_LIMITS["authors"]
    assert "'cable/page_limits/authors': 19950" in result.log
    assert f"{page_path(1)}: more authors than a real page has (limit 50): 19950 left out" in result.log
    assert "pages over the per-page limits: 1 cut, 0 too slow to read (left out: 19950 authors)" in result.log


def test_5000_byline_links_on_a_200_kb_page_are_cut_and_the_page_rejected_for_its_byline(tmp_path):
    """The page is read in bounded time (the author candidates are cut and counted); its
    49 KB byline is over the schema's limit, so the item is rejected with that reason:
    kept in the rejects file, never written half-cut and never lost."""
    links = "".join(f'<a rel="author" href="/author/w{i}/">W{i} Xy</a>, ' for i in range(5000))
    page = article_html(2, byline=links)
    assert len(page) > 200_000
    result, articles, rejected = crawl_pages(tmp_path, {page_path(2): html_page(page)})
    assert articles == {}
    [reasons] = rejected.values()
    assert [r for r in reasons if r.startswith("byline: ")] == [
        "byline: 48924 characters, more than the limit of 1000"]
    [reject] = result.rejects
    assert 1 <= len(reject["item"]["authors"]) <= 5 * PAGE_LIMITS["authors"]
    assert reject["item"]["authors"][0]["name"] == "W0 Xy"
    assert "cable/page_limits/authors" in result.log
    assert "more authors than a real page has" in result.log


def test_a_page_that_reads_too_long_is_rejected_and_the_crawl_goes_on(tmp_path):
    # About 3 s of reading here (4 texts of 1,000,000 characters), three times the limit.
    pages = {page_path(3): html_page(article_html(3, body=slow_paragraphs(1_000_000, count=4))),
             page_path(4): html_page(article_html(4))}
    result, articles, rejected = crawl_pages(tmp_path, pages, settings={"CABLE_MAX_PARSE_SECONDS": 1})
    assert set(articles) == {page_path(4)}
    assert rejected == {page_path(3): ["article page: parse took longer than 1 s"]}
    assert "'cable/page_limits/parse_time': 1" in result.log
    assert "pages over the per-page limits: 0 cut, 1 too slow to read" in result.log


def test_a_rejected_item_with_a_long_unbroken_text_reaches_the_rejects_file(tmp_path):
    # 300,000 characters without a space: over the schema's paragraph length, so the item is
    # rejected and kept whole in the rejects file. Its credential masking (crawl/redact.py)
    # used to try its patterns at every position of such a text: minutes, the crawl held.
    paragraph = "~" * 300_000 + " mail editor@foreignpolicy.com"
    pages = {page_path(6): html_page(article_html(6, body=f"<p>{paragraph}</p><p>Second paragraph.</p>")),
             page_path(7): html_page(article_html(7))}
    result, articles, rejected = crawl_pages(tmp_path, pages)
    assert set(articles) == {page_path(7)}
    [reasons] = rejected.values()
    assert list(rejected) == [page_path(6)] and any("body" in reason for reason in reasons), reasons
    [record] = [r for r in result.rejects if r["url"].endswith(page_path(6))]
    assert paragraph in record["item"]["body"]  # the content kept as read, nothing masked


@pytest.mark.parametrize("processes, reason", [
    # In the crawl's process: parse_guard's SIGTERM handler cuts the parse short.
    (0, "article page: parse interrupted by SIGTERM"),
    # In a worker: the watchdog kills it, the page having been read for over SHUTDOWN_PARSE_SECONDS.
    (1, f"article page: parse took longer than {SHUTDOWN_PARSE_SECONDS:g} s (crawl shutting down)"),
])
def test_sigterm_ends_a_crawl_busy_reading_a_slow_page(tmp_path, processes, reason):
    # 40 MB: about a minute and a half of reading on the former code, which let SIGTERM
    # wait for it (the graceful stop is scheduled on the reactor the parse blocks).
    pages = {page_path(5): html_page(article_html(5, body=slow_paragraphs(2_500_000, count=8)))}
    with PageSite(pages) as site:
        command = crawl_command(tmp_path / "output", f"base_url={site.url}", f"urls={site.url}{page_path(5)}",
                                settings={"CABLE_MAX_PARSE_SECONDS": 600, "DOWNLOAD_MAXSIZE": 64 * 1024 * 1024,
                                          "CABLE_READER_PROCESSES": processes})
        log_path = tmp_path / "crawl.log"
        with open(log_path, "w") as log:
            crawl = subprocess.Popen(command, cwd=REPO, env=crawl_env(), stdout=log, stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + HANG_GUARD
                while not site.served and time.monotonic() < deadline and crawl.poll() is None:
                    time.sleep(0.1)
                assert site.served, log_path.read_text()
                time.sleep(3)  # downloaded and being parsed: the crawl is reading the text
                assert crawl.poll() is None
                crawl.send_signal(signal.SIGTERM)
                crawl.wait(timeout=25)  # hang guard: the former code read the whole page first
            finally:
                if crawl.poll() is None:
                    crawl.kill()
                    crawl.wait()
    text = log_path.read_text()
    assert "Received SIGTERM, shutting down gracefully" in text
    reasons = [reason for line in (tmp_path / "output").glob("rejects-*.jsonl")
               for record in map(json.loads, line.read_text("utf-8").splitlines()) for reason in record["reasons"]]
    assert reasons == [reason], text[-3000:]


def test_a_100000_deep_jsonld_array_is_ignored_and_the_article_kept(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    page = article_html(7, head=f'<script type="application/ld+json">{deep}</script>')
    result, articles, rejected = crawl_pages(tmp_path, {page_path(7): html_page(page)})
    assert rejected == {}
    article = articles[page_path(7)]
    assert article["headline"].startswith("Biden")
    assert [a["name"] for a in article["authors"]] == ["Robbie Gramer", "Amy Mackinnon"]
    assert article["published_at"].startswith("2021-06-02")
    assert article["body"][0] == "Hostile page number 7." and len(article["body"]) > 5
    assert "'cable/page_limits/jsonld_too_deep': 1" in result.log


def test_a_page_nested_200000_deep_is_rejected_with_the_reason_and_the_crawl_goes_on(tmp_path):
    # Lexbor's tree building walks the open elements at each start tag: 49 s in one C call for
    # this page (hours for 16 MB), where no signal can stop it. The page is refused before the parse.
    deep = "<div>" * 200_000 + "x" + "</div>" * 200_000
    pages = {page_path(9): html_page(article_html(9, body=deep)), page_path(10): html_page(article_html(10))}
    result, articles, rejected = crawl_pages(tmp_path, pages)
    assert result.returncode == 0, result.log[-3000:]
    assert list(articles) == [page_path(10)]
    [reason] = rejected[page_path(9)]
    assert re.fullmatch(r"article page: parse error: MarkupTooCostly: markup that would cost the HTML5 parser more"
                        r" than 30,000,000 steps \(elements nested [\d,]+ deep, or a list of too many options\):"
                        r" not parsed", reason), reason


@pytest.mark.parametrize("html, steps, depth", [
    ("<div><div><div>x</div></div></div>", 3, 3),       # each start tag walks the elements open around it
    ("<DIV><div></DIV><div>", 2, 2),                    # an end tag closes what it holds; case does not matter
    ("<div><span><b></div><i>", 3, 3),
    ("<p>a<p>b<p>c", 0, 0),                             # optional end tags: side by side, not nested
    ("<div><p>a<p>b<p>c", 3, 1),
    ("<ul><li>a<li>b<li>c</ul>", 3, 1),
    ("<table><tr><td><table><tr><td>x", 7, 2),
    ("<br><img src=x><hr><input>", 0, 0),               # void elements hold nothing
    ("<div></span><div></span><div>", 3, 3),            # a stray end tag closes nothing
    ("<div/><div/><div/>", 3, 3),                       # <div/> opens a div in HTML
    ("<svg><g/><g/><g/></svg><math><mi/></math>", 4, 1),  # ... and closes itself in SVG and MathML
    ("<rt><rt><optgroup>", 3, 3),                       # outside ruby and select, these nest
    ("<select><option>a<option>b<option>c</select><select><option>", 7, 1),  # an option walks the list's
    ("<script>'<div><div><div>'</script><div>", 0, 1),  # raw text holds no tags
    ("<style>a>b{}</style><textarea><div><div></textarea>", 0, 0),
    ("<!-- <div><div> --><b>", 0, 1),
    ("<div><!-- <div><div>", 0, 1),                     # a comment the page ends in holds the rest
    ("<div><span", 0, 1),                               # ... and so does a tag without its ">"
    ("<div>" * 6000, 6000 * 5999 // 2, 6000),
    # One scan, whatever the page holds (a regular expression that backtracks took minutes here):
    ("<a" * 200_000, 0, 0),
    ("<div " + "x" * 1_000_000, 0, 0),
    ("<div><script>" + "<div>" * 100_000, 1, 1),
])
def test_parse_work_estimates_the_parsers_walks(html, steps, depth):
    assert markup.parse_work(html.encode()) == (steps, depth)


@pytest.mark.parametrize("html, refused", [
    ("<div>" * 5_000, False),                  # no more tags than are left unscanned
    ("<p>x" * 100_000, False),                 # many tags, flat
    ("<article><div><div>" + "<p>x</p>" * 25_000, False),
    ("<div>" * 8_000, True),                   # 32 million steps
    ("<div>" * 4_900 + "<p>x" * 100_000, True),  # 15 s of Lexbor's time
    ("<select>" + "<option>x" * 100_000, True),  # 32 s of Lexbor's time
])
def test_the_parse_work_check_refuses_what_would_take_the_parser_seconds(html, refused):
    if refused:
        with pytest.raises(markup.MarkupTooCostly, match="more than 30,000,000 steps"):
            markup.check_parse_work(html.encode())
    else:
        markup.check_parse_work(html.encode())


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])  # the bytes handed over, or the text
def test_read_article_refuses_a_page_too_costly_to_parse(encoding):
    with pytest.raises(markup.MarkupTooCostly):
        read_article(HtmlResponse(url="https://foreignpolicy.com/2021/06/02/x/", body=b"<b>" * 10_000, encoding=encoding))


def test_a_utf8_page_served_as_utf16_is_read_as_utf8(tmp_path):
    page = article_html(8, body="<p>Zürich café talks — naïve hopes, 東京 too.</p>")
    assert '<meta charset="utf-8">' in page
    result, articles, rejected = crawl_pages(tmp_path, {page_path(8): (page, "text/html; charset=utf-16")})
    assert rejected == {}
    article = articles[page_path(8)]
    assert "Zürich café talks — naïve hopes, 東京 too." in article["body"]
    assert article["headline"].startswith("Biden")


# --------------------------------------------------------------------------- merges


def merge_authors_by_scan(candidates):
    """The former quadratic merge: the reference the linear one must agree with."""
    authors = []
    for candidate in candidates:
        name = p.normalize_name(candidate.get("name"))
        bio = p.clean_text(candidate.get("bio")) or None
        if not name and bio:
            name = p.bio_name(bio) or ""
        if not name:
            continue
        for author in authors:
            if p.same_name(author["name"], name):
                author["url"] = author["url"] or candidate.get("url") or None
                author["bio"] = author["bio"] or bio
                break
        else:
            authors.append({"name": name, "url": candidate.get("url") or None, "bio": bio})
    return authors


def merge_images_by_scan(candidates):
    merged = []
    for candidate in candidates:
        url = p.image_url(candidate.get("url"))
        if not url:
            continue
        caption = p.best_caption(candidate.get("renderings") or [])
        key = p.comparison_key(caption["caption"]) if caption["caption"] else None
        for image in merged:
            if image["url"] == url or (key and image["caption"] and p.comparison_key(image["caption"]) == key):
                for field in ("caption", "credit", "dateline"):
                    image[field] = image[field] or caption[field]
                break
        else:
            merged.append({"url": url, **caption})
    return merged


def img(url, caption=None, credit=None):
    return {"url": url, "renderings": [{"caption": caption, "credit": credit, "dateline": None}]}


@pytest.mark.parametrize("candidates, expected", [
    ([], []),
    ([{"name": "José Díaz"}, {"name": "JOSE DIAZ", "url": "u"}], [{"name": "José Díaz", "url": "u", "bio": None}]),
    ([{"name": None, "bio": "Ann Lee is a writer."}, {"name": "Ann Lee"}],
     [{"name": "Ann Lee", "url": None, "bio": "Ann Lee is a writer."}]),
    ([{"name": "A B"}, {"name": "C D"}, {"name": "a b", "bio": "x"}],
     [{"name": "A B", "url": None, "bio": "x"}, {"name": "C D", "url": None, "bio": None}]),
])
def test_merge_authors_cases(candidates, expected):
    assert p.merge_authors(candidates) == expected == merge_authors_by_scan(candidates)


@pytest.mark.parametrize("candidates, expected_urls", [
    ([], []),
    ([img("http://x/a.jpg?w=1"), img("http://x/a.jpg?w=2", "Cap")], ["http://x/a.jpg"]),
    # b.jpg gets its caption from a later candidate, after c.jpg was added with the same one:
    # a later "Cap" candidate merges into b (the first in order), as the scan did.
    ([img("http://x/b.jpg"), img("http://x/c.jpg", "Cap"), img("http://x/b.jpg", "Cap"),
      img("http://x/d.jpg", "Cap", "Credit")], ["http://x/b.jpg", "http://x/c.jpg"]),
    ([img("data:image/png;base64,xx"), img("http://x/e.jpg", "Same"), img("http://x/f.jpg", "same")],
     ["http://x/e.jpg"]),
])
def test_merge_images_cases(candidates, expected_urls):
    merged = p.merge_images(candidates)
    assert [i["url"] for i in merged] == expected_urls
    assert merged == merge_images_by_scan(candidates)


@pytest.mark.parametrize("seed", range(20))
def test_linear_merges_agree_with_the_scans_on_random_pages(seed):
    rng = random.Random(seed)
    names = ["Ann Lee", "ANN LEE", "Ann Lée", "Bo Yu", "bo yu", "", None, "Cy Oh"]
    authors = [{"name": rng.choice(names), "url": rng.choice([None, "u1", "u2"]),
                "bio": rng.choice([None, "", "Cy Oh is a writer.", "Dee Ray was an editor."])}
               for _ in range(rng.randrange(12))]
    assert p.merge_authors(authors) == merge_authors_by_scan(authors)
    images = [img(rng.choice(["http://x/1.jpg", "http://x/2.jpg?w=5", "http://x/3.jpg", "", "http://x/2.jpg"]),
                  rng.choice([None, "One", "one", "Two", "Three"]), rng.choice([None, "AP"]))
              for _ in range(rng.randrange(12))]
    assert p.merge_images(images) == merge_images_by_scan(images)


def test_merges_of_20000_candidates_finish():  # hang guard: the scans took minutes
    authors = [{"name": f"Writer Number{i:05d}"} for i in range(20000)]
    assert len(p.merge_authors(authors + authors)) == 20000
    images = [img(f"http://x/{i}.jpg", f"Caption {i}") for i in range(20000)]
    assert len(p.merge_images(images + images)) == 20000


# --------------------------------------------------------------------------- page bounds


def response(html: str, content_type: str = "text/html; charset=utf-8") -> HtmlResponse:
    return HtmlResponse("http://127.0.0.1/2021/06/02/hostile-0/", body=html.encode("utf-8"),
                        headers={"Content-Type": content_type})


@pytest.mark.parametrize("what, html", [
    ("images", "<article>" + "<figure><img src='/i{}.jpg'></figure>" * 300 + "</article>"),
    ("body_blocks", "<article>" + "<p>Paragraph {}.</p>" * 3000 + "</article>"),
    ("body_blocks", "<article><div><div>" + "<p>Paragraph {}.</p>" * 25000 + "</div></div></article>"),  # > scan
    ("related", "<div class='related-articles'>" + "<h3><a href='/2020/01/01/r{}/'>R</a></h3>" * 300 + "</div>"),
    ("tags", "<div class='the-tags'>" + "<a class='tag'>Tag {}</a>" * 300 + "</div>"),
])
def test_page_bounds_cut_and_count(what, html):
    numbered = html.replace("{}", "%d") % tuple(range(html.count("{}")))
    cuts = PageCuts()
    item, _ = read_article(response(f"<html><body><h1 class='hed'>H</h1>{numbered}</body></html>"), "The Cable",
                           cuts=cuts)
    field = {"body_blocks": "body"}.get(what, what)
    assert len(item[field]) == PAGE_LIMITS[what]
    assert cuts[what] == html.count("{}") - PAGE_LIMITS[what]


@pytest.mark.parametrize("blocks, expected, cut", [
    (['{"@type": "NewsArticle", "headline": "H"}'], {"@type": "NewsArticle", "headline": "H"}, {}),
    (["[" * 100_000 + "]" * 100_000, '{"@type": "Article", "headline": "H"}'],
     {"@type": "Article", "headline": "H"}, {"jsonld_too_deep": 1}),
    (['{"@graph": [' + ", ".join(['{"@type": "Thing"}'] * 1000) + ', {"@type": "NewsArticle"}]}'],
     {}, {"jsonld_nodes": 502}),  # 1 + 1001 nodes, 500 visited
    (['{"@graph": {"@type": "NewsArticle"}}'], {"@type": "NewsArticle"}, {}),
    (['{"@type": [{"x": 1}, "Article"]}'], {"@type": [{"x": 1}, "Article"]}, {}),
    (["not json", '{"@type": "BlogPosting"}'], {"@type": "BlogPosting"}, {}),
    # as json.loads(strict=False): a control character in a string is read, a BOM refused
    (['{"@type": "Article", "headline": "A\tB"}'], {"@type": "Article", "headline": "A\tB"}, {}),
    (['\ufeff{"@type": "Article"}', '{"@type": "BlogPosting"}'], {"@type": "BlogPosting"}, {}),
])
def test_jsonld_article(blocks, expected, cut):
    scripts = "".join(f'<script type="application/ld+json">{block}</script>' for block in blocks)
    cuts = PageCuts()
    assert jsonld_article(page_root(response(f"<html><head>{scripts}</head></html>")), cuts) == expected
    assert dict(cuts) == cut


# --------------------------------------------------------------------------- encoding


META_UTF8 = '<html><head><meta charset="utf-8"></head><body><p>Zürich café</p></body></html>'


@pytest.mark.parametrize("body, declared, expected", [
    (META_UTF8.encode("utf-8"), "utf-16", "utf-8"),                  # the impossible header
    (META_UTF8.encode("utf-8"), "utf-16-le", "utf-8"),
    (META_UTF8.encode("utf-8"), "utf-32", "utf-8"),
    (META_UTF8.replace("Zürich café", "plain").encode(), "utf-16", "utf-8"),  # ASCII
    (b"<html><body><p>Z\xc3\xbcrich</p></body></html>", "utf-16", "utf-8"),    # no meta: the bytes
    (META_UTF8.replace("utf-8", "windows-1252").encode("cp1252"), "utf-16", "cp1252"),  # the meta
    (META_UTF8.encode("cp1252"), "utf-16", "cp1252"),                # meta says UTF-8, bytes are cp1252
    (META_UTF8.encode("utf-16"), "utf-16", None),                    # real UTF-16 with BOM
    (META_UTF8.encode("utf-16-le"), "utf-16-le", None),              # real UTF-16 without BOM (NULs)
    (META_UTF8.encode("utf-32"), "utf-32", None),
    (META_UTF8.encode("utf-8"), "utf-8", None),                      # nothing to correct
    ("Zürich".encode("utf-8"), "cp1252", "utf-8"),                   # the older corrections stay
    ("Zürich".encode("cp1252"), "utf-8", "cp1252"),
])
def test_corrected_encoding(body, declared, expected):
    assert corrected_encoding(body, declared) == expected


@pytest.mark.parametrize("seed", range(20))
def test_readable_drops_control_bytes_and_corrects_as_the_byte_by_byte_rules(seed):
    """readable() deletes C0 controls (not tab, LF, CR) and DEL with bytes.translate, and
    skips the UTF-8 check of an ASCII body: the same as the regex and the full check."""
    import re

    rng = random.Random(seed)
    alphabet = [bytes([b]) for b in range(0x80)] + ["é’".encode("utf-8"), b"\x93", b"\xe9", b"<p>", b" "]
    text = b"".join(rng.choice(alphabet if seed % 2 else alphabet[:0x80]) for _ in range(300))  # odd: not ASCII
    body = b"<html><body>" + text + b"</body></html>"
    for declared in ("utf-8", "cp1252", "latin-1"):
        fixed = readable(HtmlResponse("https://foreignpolicy.com/x/", body=body, encoding=declared))
        assert fixed.body == re.sub(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", b"", body)
        try:
            body.decode("utf-8")
            valid = True
        except UnicodeDecodeError:
            valid = False
        high = any(byte > 0x7F for byte in body)
        expected = ("utf-8" if valid and high and declared != "utf-8" else
                    "cp1252" if not valid and declared == "utf-8" else declared)
        assert fixed.encoding == expected


@pytest.mark.parametrize("byte", range(0x80))
def test_readable_looks_for_every_control_byte_alone(byte):
    # readable() asks whether each control byte is there (memchr) before translate() removes them.
    import re

    body = b"<html><body><p>a" + bytes([byte]) + b"b</p></body></html>"
    page = HtmlResponse("https://foreignpolicy.com/x/", body=body, encoding="utf-8")
    fixed = readable(page)
    assert fixed.body == re.sub(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", b"", body)
    assert (fixed is page) == (fixed.body == body)  # nothing removed: the response itself


@pytest.mark.parametrize("markup_bytes", [b"", b"<", b"<<", b"a<b", b"<p>" * 5_001, "<p>\u00e9</p>".encode()])
def test_less_than_signs_counts_as_bytes_count(markup_bytes):
    assert markup.less_than_signs(markup_bytes) == markup_bytes.count(b"<")


def test_readable_decodes_a_utf8_page_declared_utf16():
    fixed = readable(response(META_UTF8, "text/html; charset=utf-16"))
    assert fixed.encoding == "utf-8"
    assert fixed.css("p::text").get() == "Zürich café"


# --------------------------------------------------------------------------- parse guard


def busy(seconds: float) -> None:
    """A pure-Python loop, like a runaway parse (bounded: a hang guard if the alarm never comes)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass


@pytest.mark.parametrize("seconds, stopping, limit", [
    (10, False, 10), (0, False, 0),  # 0: no limit
    (10, True, SHUTDOWN_PARSE_SECONDS), (0.5, True, 0.5), (0, True, SHUTDOWN_PARSE_SECONDS),
])
def test_a_pages_limit_is_short_once_the_crawl_is_stopping(seconds, stopping, limit):
    # The parse guard's and the page reader's watchdog's rule (parse_guard.page_limit)
    assert parse_guard.page_limit(seconds, stopping) == limit


@pytest.mark.parametrize("limit, shutting_down, reason", [
    (0.2, False, "parse took longer than 0.2 s"),
    (600, True, f"parse took longer than {SHUTDOWN_PARSE_SECONDS:g} s (crawl shutting down)"),
    (0, True, f"parse took longer than {SHUTDOWN_PARSE_SECONDS:g} s (crawl shutting down)"),
])
def test_parse_time_limit_abandons_a_runaway_parse(limit, shutting_down, reason):
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGALRM)
    with pytest.raises(ParseAbandoned) as abandoned:
        with parse_time_limit(limit, shutting_down=shutting_down):
            busy(30)
    assert str(abandoned.value) == reason
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGALRM)) == previous
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_parse_time_limit_leaves_a_quick_parse_alone():
    with parse_time_limit(5):
        total = sum(range(1000))
    assert total == 499500 and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.fixture
def scrapy_handler():
    """A SIGTERM handler standing for Scrapy's (it records, schedules nothing here)."""
    received = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)
        parse_guard._shutdown_seen.clear()  # this process is not shutting down


def test_sigterm_during_a_runaway_parse_reaches_the_previous_handler_and_abandons_the_parse(scrapy_handler):
    handler = signal.getsignal(signal.SIGTERM)
    with pytest.raises(ParseAbandoned, match="^parse interrupted by SIGTERM$") as abandoned:
        with parse_time_limit(600):
            os.kill(os.getpid(), signal.SIGTERM)
            busy(30)  # abandoned SHUTDOWN_PARSE_SECONDS after the signal
    assert abandoned.value.by_shutdown
    assert scrapy_handler == [signal.SIGTERM]
    assert signal.getsignal(signal.SIGTERM) is handler
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_page_being_read_when_sigterm_comes_is_read_to_the_end(scrapy_handler):
    # It was abandoned at once: a page read in a few milliseconds became a reject (in a
    # distributed crawl, a request answered that no other worker then read).
    with parse_time_limit(600):
        os.kill(os.getpid(), signal.SIGTERM)
        busy(0.05)
        read = "the rest of the page"
    assert read == "the rest of the page" and scrapy_handler == [signal.SIGTERM]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_second_sigterm_abandons_the_parse_at_once(scrapy_handler, monkeypatch):
    monkeypatch.setattr(parse_guard, "SHUTDOWN_PARSE_SECONDS", 600)  # only the second signal can end it
    with pytest.raises(ParseAbandoned, match="^parse interrupted by SIGTERM$"):
        with parse_time_limit(600):
            os.kill(os.getpid(), signal.SIGTERM)
            busy(0.05)
            os.kill(os.getpid(), signal.SIGTERM)
            busy(30)
    assert scrapy_handler == [signal.SIGTERM, signal.SIGTERM]


def test_an_index_page_nested_too_deep_is_rejected_and_paging_stops_with_the_reason(tmp_path):
    index = "<html><body>" + "<div>" * 100_000 + "</body></html>"
    with PageSite({"/channel/the-cable/": html_page(index)}) as site:
        result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}", timeout=HANG_GUARD)
    [reject] = result.rejects
    assert reject["url"] == site.url + "/channel/the-cable/"
    assert reject["reasons"] == ["index page: markup that would cost the HTML5 parser more than 30,000,000 steps"
                                 " (elements nested 7,746 deep, or a list of too many options): not parsed"]
    assert "stop paging (index_failed)" in result.log
    assert result.articles == [] and result.returncode == 1


def test_an_index_page_that_reads_too_long_is_rejected_and_paging_stops_with_the_reason(tmp_path):
    """The parse-time guard covers column index pages too: a huge index (100,000 entries,
    ~13 MB, under DOWNLOAD_MAXSIZE) becomes a reject, paging stops and says why, and the
    crawl ends by itself (the Column index monitor fails: nothing could be read)."""
    entry = ('<div class="blog-list-layout"><h3 class="hed"><a href="/2021/06/02/a{n}/">A{n}</a></h3>'
             '<time datetime="2021-06-02"></time></div>')
    index = "<html><body>" + "".join(entry.format(n=n) for n in range(100_000)) + "</body></html>"
    assert 10_000_000 < len(index) < 16 * 1024 * 1024
    with PageSite({"/channel/the-cable/": html_page(index)}) as site:
        result = scrapy_crawl(tmp_path / "output", f"base_url={site.url}",
                              settings={"CABLE_MAX_PARSE_SECONDS": 0.3}, timeout=HANG_GUARD)
    [reject] = result.rejects
    assert reject["url"] == site.url + "/channel/the-cable/"
    assert reject["reasons"] == ["index page: parse took longer than 0.3 s"]
    assert "stop paging (index_failed)" in result.log
    assert "'cable/page_limits/parse_time': 1" in result.log
    assert result.articles == []
    assert result.returncode == 1
