"""The Public Suffix List comes from the copy bundled with tldextract, never from the network.

Scrapy's CookiesMiddleware asks tldextract whether a cookie's domain is a public
suffix (so that a site cannot set a cookie for all of .com). On first use,
tldextract downloads that list from publicsuffix.org or GitHub with `requests`:
outside Scrapy's downloader, so outside DOWNLOAD_TIMEOUT, robots.txt, the site
boundary and the shutdown signals. One Set-Cookie from the crawled site was
enough; a slow answer from that host held a crawl 148 s and SIGTERM went unheeded.

The fix is tldextract's documented switch for production use (tldextract >= 5.4):
an empty TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS. Extractors built afterwards fetch
nothing and use the bundled snapshot (or their own cache of it), which is enough
for the one question Scrapy asks. It is set on import of cable_crawler.settings, which
every way of running the crawl loads before Scrapy imports its cookie middleware
(that happens when the crawler is built, after the project's settings module
is loaded): `scrapy crawl`, Scrapyd jobs, `scrapy shell`, `parse` and `fetch`.

Not chosen: COOKIES_ENABLED = False would only hide the problem until someone
turns cookies on (and a site may need them); replacing Scrapy's module-level
extractor or overriding its cookie handling would rely on private names.
"""

import os

os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
