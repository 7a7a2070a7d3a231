"""Crawl control: what the spider and Scrapy's machinery need beyond navigation.

    args.py             spider arguments (-a name=value), checked before any request
    dupefilter.py       request fingerprints that do not hide redirect loops
    parse_guard.py      a time limit for reading one page; SIGTERM during a parse
    page_reader.py      where article pages are read: a worker process, or this one
    splash.py           rendering through Splash (Lua script, arguments, errors);
                        the one import of scrapy_splash, after splash_compat
    splash_compat.py    two names scrapy-splash 0.11.1 imports from older Scrapy
    redact.py           secrets out of logs and the rejects file (a log filter extension)
"""
