"""Operations: what an operator and a scheduler see of a crawl.

    commands/       `scrapy crawl` with argument checks and exit statuses
    monitors.py     Spidermon checks run when a crawl closes
    summary.py      the end-of-crawl summary
"""
