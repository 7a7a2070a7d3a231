"""The site boundary: which URLs belong to the crawled site. One rule, used by the
`urls=` argument check (crawl/args.py), the downloader middleware that refuses
off-site requests (middlewares.SameSiteMiddleware), the spider, and the canonical
link check (extraction/pages/markup.article_url). See docs/reliability.md
"The site boundary"."""

from __future__ import annotations

from urllib.parse import urlsplit

from cable_crawler.extraction.processors import is_ip_address, without_www


def same_site(url_host: str, site_host: str) -> bool:
    """The site's own host or a subdomain of it (thecable.foreignpolicy.com).
    An IP address is only itself: www.127.0.0.1 and x.127.0.0.1 are other hosts."""
    url_host, site_host = without_www(url_host.lower()), without_www(site_host.lower())
    if is_ip_address(site_host):
        return url_host == site_host
    return url_host == site_host or url_host.endswith("." + site_host)


def site_origin(base_url: str) -> tuple[str, int | None]:
    parts = urlsplit(base_url)
    return (parts.hostname or "").lower(), parts.port


def is_on_site(url: str, base_url: str) -> bool:
    """The crawled site's host and port, or a subdomain of it on the default port
    (thecable.foreignpolicy.com for foreignpolicy.com). An IP address has no
    'www.' variant and no subdomains."""
    host, port = site_origin(base_url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    try:
        url_port = parts.port
    except ValueError:
        return False
    www = not is_ip_address(host) and parts.hostname.lower() == "www." + host
    if parts.hostname.lower() == host or www:
        return url_port == port or (port is None and url_port in (None, 80, 443))
    return port is None and url_port is None and same_site(parts.hostname, host)
