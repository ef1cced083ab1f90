"""Fixed-window request limits: per client address on the ingest endpoints, per key on the APIs,
per user or share link on the dashboard's data requests.

Counters live in Redis when it is configured (shared by every process), else in Django's
cache. Clients are keyed by a keyed hash of their address, never by the address itself;
API keys by their prefix, which is not secret.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache

from analytics_site.errors import ApiError
from tracker.connections import redis_client, stream_mode

WINDOW_SECONDS = 60


def client_pseudonym(ip: str) -> str:
    """Return a keyed hash of the address that names it in counters (the address itself never is)."""
    return hashlib.blake2b(ip.encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=12).hexdigest()


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


@dataclass(frozen=True)
class Limit:
    """A request limit: its counters' name, the setting holding its requests per minute, what a refusal says."""

    name: str
    setting: str
    message: str


INGEST = Limit("ingest", "INGEST_RATE_LIMIT_PER_MINUTE", "More than {limit} requests a minute from this client.")
API_KEY = Limit("api", "API_RATE_LIMIT_PER_MINUTE", "More than {limit} requests a minute with this API key.")
DASHBOARD = Limit(
    "dashboard", "DASHBOARD_RATE_LIMIT_PER_MINUTE", "More than {limit} dashboard requests a minute; wait a moment."
)


def check_rate(limit: Limit, subject: str) -> None:
    """Count one request of `subject` in the current window; raise a 429 ApiError past the limit (0: none).

    `subject` names the caller in the counter's key: an API key's prefix, a user, or a keyed hash of a
    client address (client_pseudonym), never the address itself.
    """
    most = getattr(settings, limit.setting)
    if most <= 0:
        return
    now = int(time.time())
    window = now // WINDOW_SECONDS
    if _count(f"footfall:rl:{limit.name}:{window}:{subject}") > most:
        message = limit.message.format(limit=most)
        raise ApiError("rate_limited", message, status=429, retry_after=WINDOW_SECONDS - now % WINDOW_SECONDS)


def check_ingest_rate(ip: str) -> None:
    """Raise a 429 ApiError when this client exceeded INGEST_RATE_LIMIT_PER_MINUTE."""
    check_rate(INGEST, client_pseudonym(ip))


def check_api_key_rate(prefix: str) -> None:
    """Raise a 429 ApiError when the API key with this prefix exceeded API_RATE_LIMIT_PER_MINUTE."""
    check_rate(API_KEY, prefix)
