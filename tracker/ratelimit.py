"""Fixed-window request limits: per client address on the ingest endpoints, per key on the APIs,
per user or share link on the dashboard's data requests.

Counters live in Redis when it is configured (shared by every process), else in Django's
cache. Clients are keyed by a keyed hash of their address, never by the address itself;
API keys by their prefix, which is not secret.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.core.cache import cache

from analytics_site.errors import ApiError
from tracker.buffer import redis_client, stream_mode

WINDOW_SECONDS = 60


def client_pseudonym(ip: str) -> str:
    """Return a keyed hash of the address that names it in counters (the address itself never is)."""
    return hashlib.blake2b(ip.encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=12).hexdigest()


def _client_key(ip: str, window: int) -> str:
    return f"footfall:rl:{window}:{client_pseudonym(ip)}"


def _api_key_counter(prefix: str, window: int) -> str:
    return f"footfall:rl:api:{window}:{prefix}"


def _count(key: str) -> int:
    if stream_mode():
        try:
            with redis_client(settings.REDIS_URL).pipeline(transaction=False) as pipe:
                pipe.incr(key)
                pipe.expire(key, WINDOW_SECONDS * 2, nx=True)
                return int(pipe.execute()[0])
        except (redis.ConnectionError, redis.TimeoutError):
            return 0  # fail open: the limit protects us, an outage must not turn into lost events
    if cache.add(key, 1, WINDOW_SECONDS * 2):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, WINDOW_SECONDS * 2)
        return 1


def _check(*, limit: int, counter: Callable[[int], str], message: str) -> None:
    """Count one request in the current window of `counter`; raise a 429 ApiError past `limit`."""
    if limit <= 0:
        return
    now = int(time.time())
    window = now // WINDOW_SECONDS
    if _count(counter(window)) > limit:
        raise ApiError("rate_limited", message, status=429, retry_after=WINDOW_SECONDS - now % WINDOW_SECONDS)


def check_ingest_rate(ip: str) -> None:
    """Raise a 429 ApiError when this client exceeded INGEST_RATE_LIMIT_PER_MINUTE."""
    limit = settings.INGEST_RATE_LIMIT_PER_MINUTE
    _check(
        limit=limit,
        counter=lambda window: _client_key(ip, window),
        message=f"More than {limit} requests a minute from this client.",
    )


def check_api_key_rate(prefix: str) -> None:
    """Raise a 429 ApiError when the API key with this prefix exceeded API_RATE_LIMIT_PER_MINUTE."""
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    _check(
        limit=limit,
        counter=lambda window: _api_key_counter(prefix, window),
        message=f"More than {limit} requests a minute with this API key.",
    )


def check_dashboard_rate(subject: str) -> None:
    """Raise a 429 ApiError when this dashboard reader (a user, or a share link's client) exceeded
    DASHBOARD_RATE_LIMIT_PER_MINUTE data requests."""
    limit = settings.DASHBOARD_RATE_LIMIT_PER_MINUTE
    _check(
        limit=limit,
        counter=lambda window: f"footfall:rl:dashboard:{window}:{subject}",
        message=f"More than {limit} dashboard requests a minute; wait a moment.",
    )
