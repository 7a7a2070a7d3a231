"""A bare Scrapy spider: the baseline a hand-written spider would be.
Walks the same column index and article pages, 7 naive parsel fields, Scrapy's feed export.

Provenance: copied unchanged (apart from this paragraph) from the reference harness of
issue 12, perf/bare_spider.py in the project's shared folder (beside perf_ratio.py, which
measured the figures the issue quotes). Kept here so that `make bench` (benchmarks/bench.py) runs it side by
side with `scrapy crawl cable`; run with `scrapy runspider` outside the project, so that
none of cable_crawler's settings apply to it."""
import scrapy


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, base_url, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    async def start(self):
        yield scrapy.Request(self.base_url + "/channel/the-cable/", self.parse)

    def parse(self, response):
        for href in response.css("div.blog-list-layout a::attr(href)").getall():
            yield response.follow(href, self.article)
        nxt = response.css("a.next.page-numbers::attr(href)").get()
        if nxt:
            yield response.follow(nxt, self.parse)

    def article(self, response):
        yield {
            "url": response.url,
            "headline": response.css("h1::text").get(),
            "dek": response.css("h2.dek-heading::text").get(),
            "authors": response.css("a[rel=author]::text").getall(),
            "published_at": response.css("meta[property='article:published_time']::attr(content)").get(),
            "caption": response.css("div.caption::text").get(),
            "body": [p.xpath("string()").get() for p in response.css("div.post-content-main p")],
        }
