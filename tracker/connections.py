"""Redis, for every part that uses it (the event stream, request limits): one connection per process and URL."""

from __future__ import annotations

from functools import lru_cache

import redis
from django.conf import settings


@lru_cache(maxsize=4)
def redis_client(url: str) -> redis.Redis:
    # Short timeouts: a hung Redis must turn into spooling quickly, not into hung requests.
    # One dedicated connection per process (redis-py locks it): no pool checkout per request.
    return redis.Redis.from_url(
        url, socket_connect_timeout=1.0, socket_timeout=2.0, health_check_interval=30, single_connection_client=True
    )


def blocking_client(url: str, *, block_seconds: float) -> redis.Redis:
    """A client of its own for a reader that blocks on the stream: its socket timeout outlasts the wait, so
    only a Redis that hangs for longer than that times out. It connects on first use, not here."""
    return redis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=block_seconds + 5.0)


def partition_streams() -> list[str]:
    """The event stream's partitions (tracker/buffer.py), in partition order."""
    return [f"{settings.BUFFER_STREAM}:p{n}" for n in range(settings.BUFFER_PARTITIONS)]


def stream_mode() -> bool:
    """Whether Redis is configured (REDIS_URL); without it Footfall runs embedded, processing events inline."""
    return bool(settings.REDIS_URL)
