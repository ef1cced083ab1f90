"""Per-client ingest limits, in Django's cache and in Redis."""

from __future__ import annotations

import uuid

from tracker.errors import ApiError
from tracker.ratelimit import _client_key, check_ingest_rate


def exhaust(limit: int, ip: str) -> list[bool]:
    outcomes = []
    for _ in range(limit + 2):
        try:
            check_ingest_rate(ip)
            outcomes.append(True)
        except ApiError as error:
            assert (error.status, error.code) == (429, "rate_limited")
            assert error.retry_after is not None
            assert 0 < error.retry_after <= 60
            outcomes.append(False)
    return outcomes


def test_limit_in_local_cache(settings):
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 3
    assert exhaust(3, "198.51.100.9") == [True, True, True, False, False]


def test_zero_disables_the_limit(settings):
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0
    assert all(exhaust(5, "198.51.100.9"))


def test_limit_in_redis_is_shared(settings, stream_mode):
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 2
    client = f"198.51.100.10-{uuid.uuid4()}"  # Redis keeps counters between runs; start from zero
    assert exhaust(2, client) == [True, True, False, False]


def test_counter_keys_never_contain_the_address():
    key = _client_key("198.51.100.11", 1)
    assert "198.51.100.11" not in key


def test_redis_outage_fails_open(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 1
    assert all(exhaust(1, "198.51.100.12"))
