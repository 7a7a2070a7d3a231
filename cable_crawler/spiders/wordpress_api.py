"""The WordPress REST API as a source of the `cable` spider (-a source=api|both): the
requests that read the channel's post list, the cross-check of each article against it,
and the completeness pass that fetches what the list has and nobody else.

A mixin of CableSpider (spiders/cable.py), which gives it `args`, `incremental`, `distributed`,
`html_start()` (the index walk, started when the API paging stops), `article_request()`,
`skip_reason()` and `on_site()`. Parsing the API's answers is in crawl/wp_api.py (pure).
"""

from __future__ import annotations

import json
import logging
from datetime import date
from urllib.parse import urlencode

import scrapy
from scrapy.exceptions import DontCloseSpider

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written
from cable_crawler.crawl.download_errors import download_error_reason
from cable_crawler.crawl.wp_api import API_PATH, ApiMalformed, ApiPost, cross_check, parse_posts, parse_terms
from cable_crawler.extraction.pages.listing import ListingEntry
from cable_crawler.extraction.processors import article_id, canonical_url
from cable_crawler.spiders.priorities import index_page_priority, listed_article_priority


class WordPressApiSource:
    """The API's part of the spider's navigation (state set in start_api())."""

    def start_api(self) -> None:
        # The API's posts of the column, by canonical link and by id.
        self.api_posts: dict[str, ApiPost] = {}
        self.api_ids: dict[int, ApiPost] = {}
        self.api_failed = False
        self.api_listed = False       # at least one page of the API's post list was read
        self.completeness_done = False

    def api_start_request(self) -> scrapy.Request:
        """The first request of a crawl that reads the API: the channel's term id, by its slug."""
        return self.api_request(f"{self.args.base_url}{API_PATH}/categories?{urlencode({'slug': self.args.channel})}",
                                self.parse_api_terms)

    def api_request(self, url: str, callback, priority: int = 0, **cb_kwargs) -> scrapy.Request:
        # Answers 400/401/403/404 reach the callback: they end the paging or the API, not the crawl.
        return scrapy.Request(url, callback=callback, errback=self.on_api_error, cb_kwargs=cb_kwargs,
                              priority=priority,
                              meta={"page_kind": "api", "handle_httpstatus_list": [400, 401, 403, 404]})

    def api_unavailable(self, url: str, why: str):
        """The API cannot be used: one warning, and the crawl goes on from the column index."""
        self.api_failed = True
        self.crawler.stats.inc_value("cable/api/unavailable")
        self.logger.warning("WordPress REST API unavailable (%s: %s): the crawl goes on from the column index",
                            url, why)
        yield from self.html_start(walk_index=True)

    def api_json(self, response):
        try:
            return json.loads(response.text)
        except (ValueError, AttributeError) as error:
            raise ApiMalformed(f"not JSON ({type(error).__name__})") from None

    def parse_api_terms(self, response):
        if response.status != 200:
            yield from self.api_unavailable(response.url, f"HTTP {response.status}")
            return
        try:
            term = parse_terms(self.api_json(response), self.args.channel)
        except ApiMalformed as error:
            yield from self.api_unavailable(response.url, f"malformed answer: {error}")
            return
        if term is None:
            yield from self.api_unavailable(response.url, f"no category with slug {self.args.channel!r}")
            return
        yield self.api_posts_request(term, 1)

    def api_posts_request(self, term: int, page: int) -> scrapy.Request:
        per_page = self.settings.getint("CABLE_WP_API_PER_PAGE", defaults.CABLE_WP_API_PER_PAGE)
        query = urlencode({"categories": term, "page": page, "per_page": per_page, "_embed": 1})
        # Read one page ahead of the articles it lists (source=api), as the index walk is (priorities.py).
        return self.api_request(f"{self.args.base_url}{API_PATH}/posts?{query}", self.parse_api_posts,
                                priority=index_page_priority(page), term=term, page=page)

    def api_stop(self, page: int, code: str, why: str, level: int = logging.INFO):
        self.logger.log(level, "WordPress REST API: %s: stop reading the API (%s)", why, code)
        self.crawler.stats.inc_value(f"cable/api/paging_stopped/{code}")
        yield from self.html_start()

    def parse_api_posts(self, response, term: int, page: int = 1):
        if response.status == 400 and page > 1:
            data = {}
            try:
                data = self.api_json(response)
            except ApiMalformed:
                pass
            code = data.get("code") if isinstance(data, dict) else None
            yield from self.api_stop(page, "past_last_page", f"page {page} answered HTTP 400 ({code or 'no code'})")
            return
        if response.status != 200:
            yield from self.api_unavailable(response.url, f"HTTP {response.status}")
            return
        try:
            posts = parse_posts(self.api_json(response))
        except ApiMalformed as error:
            yield from self.api_unavailable(response.url, f"malformed answer: {error}")
            return
        self.crawler.stats.inc_value("cable/api/pages")
        self.api_listed = True
        new = [p for p in posts if canonical_url(p.link) not in self.api_posts]
        self.crawler.stats.inc_value("cable/api/posts", len(new))
        for post in new:
            self.api_posts[canonical_url(post.link)] = post
            self.api_ids[post.id] = post
            if self.args.source == "api":
                yield from self.api_article_request(post, priority=listed_article_priority(page))
        if new and self.distributed is not None:
            self.distributed.share_api_posts(new)  # the workers that read no API page cross-check with them
        total_pages = response.headers.get("X-WP-TotalPages")
        try:
            total_pages = int(total_pages.decode()) if total_pages else None
        except ValueError:
            total_pages = None
        max_pages = self.settings.getint("CABLE_MAX_INDEX_PAGES", defaults.CABLE_MAX_INDEX_PAGES)
        since = self.args.since
        if not new:
            yield from self.api_stop(page, "nothing_new", f"page {page} brought no new post")
        elif total_pages is not None and page >= total_pages:
            yield from self.api_stop(page, "last_page", f"page {page} of {total_pages} (X-WP-TotalPages)")
        elif since is not None and all(p.date_gmt and date.fromisoformat(p.date_gmt[:10]) < since for p in posts):
            yield from self.api_stop(page, "since", f"page {page} is older than since={since}")
        elif self.args.max_pages is not None and page >= self.args.max_pages:
            yield from self.api_stop(page, "max_pages", f"max_pages={self.args.max_pages} reached")
        elif max_pages > 0 and page >= max_pages:
            yield from self.api_stop(page, "index_page_cap", f"{max_pages} API pages read (CABLE_MAX_INDEX_PAGES)",
                                     level=logging.WARNING)
        else:
            yield self.api_posts_request(term, page + 1)

    @staticmethod
    def api_entry(post: ApiPost) -> ListingEntry:
        """An API post as an index entry: its link, UTC date, post id and title."""
        return ListingEntry(url=post.link, published=date.fromisoformat(post.date_gmt[:10]) if post.date_gmt else None,
                            post_id=str(post.id), headline=post.title)

    def api_article_request(self, post: ApiPost, priority: int = 0):
        """source=api: a post's link is requested as an article, under the same rules as an index entry."""
        entry = self.api_entry(post)
        if not self.on_site(post.link):
            self.crawler.stats.inc_value("cable/index_entries_offsite")
            self.logger.warning("API post %d: link %r is not on %s: not followed", post.id, post.link,
                                self.args.base_url)
            return
        if not self.args.in_window(entry.published):
            self.crawler.stats.inc_value("cable/index_entries_outside_window")
            return
        reason = self.skip_reason(entry)
        if reason:
            self.crawler.stats.inc_value(f"cable/index_entries_{reason}")
            return
        if self.incremental.was_requested(canonical_url(post.link)):
            self.crawler.stats.inc_value("cable/index_entries_repeated")
            return
        yield self.article_request(post.link, entry, priority=priority)

    # -- Completeness pass: what the API lists and nobody has ----------------------------------

    def spider_idle(self):
        """Scrapy's spider_idle signal: the index walks and their articles are done. Once per
        crawl, the completeness pass requests the posts it finds missing (DontCloseSpider keeps
        the crawl open for them; the next idle closes it)."""
        if self.completeness_done or not self.crawler.crawling:
            return
        self.completeness_done = True
        requests = list(self.completeness_requests())
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def completeness_skipped(self, why: str) -> None:
        self.crawler.stats.set_value("cable/completeness/skipped", why)
        self.logger.info("completeness pass: skipped (%s)", why)

    def completeness_requests(self):
        """The posts of the channel the API listed, within since/until, that neither the crawl
        state nor this crawl has (an index walk stopped at known entries above them, entries
        moved up a page while the walk read the next one, a walk that never reached them): one
        request each, newest first, at most CABLE_COMPLETENESS_MAX per run (the rest are found
        again by the next run). Failed articles are the failures table's (retry_requests)."""
        if self.args.urls:
            return  # urls=: those pages only
        if self.args.source == "html":
            self.completeness_skipped("source=html: no list of the channel's posts to compare with")
            return
        if self.args.max_pages is not None:
            # Part of the column by choice; the archive walk goes on in the next runs (walks table).
            self.completeness_skipped(f"max_pages={self.args.max_pages}: this crawl reads part of the column")
            return
        if self.api_failed or not self.api_listed:
            why = "the WordPress REST API was unavailable" if self.api_failed else \
                "no API post list in this process (a crawl resumed from JOBDIR reads it in its next run)"
            self.completeness_skipped(why)
            return
        stats = self.crawler.stats
        missing = []
        listed = 0
        window = self.args.since is not None or self.args.until is not None
        for post in self.api_posts.values():
            entry = self.api_entry(post)
            if not self.args.in_window(entry.published) or not self.on_site(post.link):
                continue  # outside since/until, or off the site (counted when the post was listed)
            if window and entry.published is None:
                stats.inc_value("cable/completeness/undated")  # WordPress always dates a post: not shown in a window
                continue
            listed += 1
            had = self.incremental.had(canonical_url(post.link), article_id(str(post.id), post.link),
                                       modified=post.modified_gmt)
            if had is None:
                missing.append(entry)
            else:
                stats.inc_value(f"cable/completeness/had/{had}")
        stats.set_value("cable/completeness/listed", listed)
        stats.set_value("cable/completeness/missing", len(missing))
        limit = self.settings.getint("CABLE_COMPLETENESS_MAX", defaults.CABLE_COMPLETENESS_MAX)
        chosen, left = missing[:max(limit, 0)], missing[max(limit, 0):]
        self.logger.info("completeness pass: %d posts the API lists%s; %d neither in the crawl state nor read by"
                         " this crawl%s", listed, f" (since={self.args.since or '-'} until={self.args.until or '-'})"
                         if window else "", len(missing),
                         f": requesting {len(chosen)}" if missing else "")
        if left:
            stats.set_value("cable/completeness/deferred", len(left))
            self.logger.warning("completeness pass: %d more missing posts left for the next run"
                                " (CABLE_COMPLETENESS_MAX=%d)", len(left), limit)
        for entry in chosen:
            stats.inc_value("cable/completeness/requested")
            self.logger.info("completeness pass: %s (post %s, %s) is missing: requesting it",
                             entry.url, entry.post_id, entry.published or "no date")
            yield self.article_request(entry.url, entry)

    def on_api_error(self, failure):
        if self.crawler.stats.get_value("cable/site_unreachable"):
            return  # said once by UnreachableSiteMiddleware; the crawl is closing
        response = getattr(failure.value, "response", None)
        why = f"HTTP {response.status}" if response is not None else download_error_reason(failure.value)
        yield from self.api_unavailable(failure.request.url, why)

    def api_post_for(self, item) -> ApiPost | None:
        """The API's record of an article: by its link, else by its post id."""
        for url in (item.get("fetched_url"), item.get("url")):
            if url and canonical_url(url) in self.api_posts:
                return self.api_posts[canonical_url(url)]
        item_id = str(item.get("id") or "")
        if item_id.startswith("fp-") and int(item_id[3:]) in self.api_ids:
            return self.api_ids[int(item_id[3:])]
        if self.distributed is not None:  # read by another worker of a distributed crawl
            return self.distributed.api_post([item.get("fetched_url"), item.get("url")],
                                             int(item_id[3:]) if item_id.startswith("fp-") else None)
        return None

    def api_cross_check(self, item) -> None:
        """published_at/modified_at take the API's true UTC (a documented rule, counted and
        logged); a post id or author names that differ are counted and logged, never changed."""
        if self.args.source == "html" or (not self.api_posts and self.distributed is None):
            return
        post = self.api_post_for(item)
        if post is None:
            self.crawler.stats.inc_value("cable/api/not_in_api")
            self.logger.debug("%s: not among the API's posts of the column", item.get("url"))
            return
        self.crawler.stats.inc_value("cable/api/cross_checked")
        check = cross_check(item, post)
        if check.corrected:
            self.crawler.stats.inc_value("cable/api/date_corrected")
            # DEBUG: FP's pages label Eastern wall time +00:00, so nearly every article is corrected;
            # the summary counts them (cable/api/date_corrected), the values are here.
            self.logger.debug("%s: %s from the API (post %d; the page said %s)", item.get("url"),
                             ", ".join(f"{k}={new}" for k, (old, new) in check.corrected.items()), post.id,
                             ", ".join(f"{k}={old}" for k, (old, new) in check.corrected.items()))
            for name, (_, new) in check.corrected.items():
                item[name] = new
        for name, (html_value, api_value) in check.disagreements.items():
            self.crawler.stats.inc_value(f"cable/api/disagreements/{name}")
            self.logger.warning("%s: the page and the API disagree on %s: page %r, API %r (post %d); the page's"
                                " value is kept", item.get("url"), name, html_value, api_value, post.id)
