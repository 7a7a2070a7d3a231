"""Spider contracts for `scrapy check cable` (the live canary's first half).

The callbacks' docstrings name live foreignpolicy.com pages with Scrapy's own
@url, @returns and @scrapes contracts, plus two of ours:

  @on_base   moves the @url page onto the crawl's base_url (`scrapy check cable
             -a base_url=http://127.0.0.1:8765`): the same path on a staging
             copy or the test site, so the tests never reach the internet.
  @filled F  every item returned has a non-empty F (Scrapy's @scrapes only
             checks the field is present; an empty authors list passes it).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from itemadapter import ItemAdapter, is_item
from scrapy.contracts import Contract
from scrapy.exceptions import ContractFail


class OnBaseContract(Contract):
    name = "on_base"

    def adjust_request_args(self, args: dict) -> dict:
        spider = args["callback"].__self__  # the bound callback of the sample request: the spider, its -a arguments
        base = urlsplit(spider.args.base_url)
        url = urlsplit(args["url"])
        args["url"] = urlunsplit((base.scheme, base.netloc, url.path, url.query, url.fragment))
        return args


class FilledContract(Contract):
    name = "filled"

    def post_process(self, output: list) -> None:
        for item in (x for x in output if is_item(x)):
            adapter = ItemAdapter(item)
            empty = [field for field in self.args if not adapter.get(field)]
            if empty:
                raise ContractFail(f"empty field(s) {', '.join(empty)} in {adapter.get('url')}")
