"""Scheduler priorities of a paged listing: the column index walk and, with -a source=api,
the WordPress API's post list (Scrapy's scheduler takes the higher priority first)."""

from __future__ import annotations


# By a page's place on its listing (n = 1 for the first page read). An index page yields its
# articles, then the next page: with one priority for all, the scheduler's LIFO order took
# that next page first, the walk ran to the end of the index ahead of the articles, and every
# article request of the crawl waited in memory (a 10,000-article crawl: +13 MiB). With the
# articles above every later index page, the walk waited for its articles and the download
# slots idled while each next page was fetched and read (~10 % of a crawl's time). So the walk
# reads one page ahead: page n+1 (-2n + 1) goes before the articles of page n (-2n), after
# those of page n-1 (-2n + 2). At most two pages' articles wait in the queue.
def index_page_priority(n: int) -> int:
    return 3 - 2 * n


def listed_article_priority(n: int) -> int:
    return -2 * n
