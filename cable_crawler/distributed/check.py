"""Before a distributed crawl starts (our `scrapy crawl`): Redis answers, and nothing conflicts with it."""

from __future__ import annotations

from cable_crawler import settings as defaults  # settings.py: the one place a CABLE_* default is written
from cable_crawler.distributed.addon import redis_url


class DistributedError(Exception):
    pass


def check_redis(settings) -> None:
    """Raises DistributedError (one line, exit status 2) when CABLE_REDIS_URL is set and Redis
    does not answer, or with JOBDIR (the frontier is in Redis: a worker resumes by joining again)."""
    url = redis_url(settings)
    if not url:
        return
    import redis

    from cable_crawler.distributed.coordinator import safe_url

    if settings.get("JOBDIR"):
        raise DistributedError("JOBDIR cannot be used with CABLE_REDIS_URL: a distributed crawl's frontier is in "
                               "Redis; a worker that stopped resumes by starting again with the same settings")
    timeout = settings.getfloat("CABLE_REDIS_SOCKET_TIMEOUT", defaults.CABLE_REDIS_SOCKET_TIMEOUT)
    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        client.ping()
        client.close()
    except (redis.RedisError, ValueError) as error:
        raise DistributedError(f"CABLE_REDIS_URL={safe_url(url)}: Redis does not answer ({type(error).__name__}:"
                               f" {error}); start it (scripts/redis.sh start) or correct the URL") from None
