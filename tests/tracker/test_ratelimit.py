"""Fixed-window limits per ingest client and per API key, in Django's cache and in Redis."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from analytics_site.errors import ApiError
from tracker import ratelimit
from tracker.ratelimit import check_api_key_rate, check_ingest_rate


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


def test_counter_keys_never_contain_the_address(settings, monkeypatch):
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 5
    keys: list[str] = []

    def count(key: str) -> int:
        keys.append(key)
        return 1

    monkeypatch.setattr(ratelimit, "_count", count)
    check_ingest_rate("198.51.100.11")
    (key,) = keys
    assert "198.51.100.11" not in key
    assert key.endswith(ratelimit.client_pseudonym("198.51.100.11"))


def test_redis_outage_fails_open(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 1
    assert all(exhaust(1, "198.51.100.12"))


def exhaust_api(limit: int, prefix: str) -> list[bool]:
    outcomes = []
    for _ in range(limit + 2):
        try:
            check_api_key_rate(prefix)
            outcomes.append(True)
        except ApiError as error:
            assert (error.status, error.code) == (429, "rate_limited")
            outcomes.append(False)
    return outcomes


@pytest.fixture
def clock(monkeypatch):
    """The limiter's clock, frozen at the start of a window; tests move it by hand."""
    now = [60.0 * 29_000_000]
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now[0]))
    return now


def test_api_keys_are_limited_one_by_one(settings, clock):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    assert exhaust_api(2, "aaaa0001") == [True, True, False, False]
    assert exhaust_api(2, "aaaa0002") == [True, True, False, False]


def test_api_key_window_resets_and_retry_after_counts_down(settings, clock):
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    clock[0] += 15
    check_api_key_rate("bbbb0001")
    with pytest.raises(ApiError) as error:
        check_api_key_rate("bbbb0001")
    assert error.value.retry_after == 45
    clock[0] += 44
    with pytest.raises(ApiError):
        check_api_key_rate("bbbb0001")
    clock[0] += 1  # the next window
    check_api_key_rate("bbbb0001")


def test_api_and_ingest_counters_are_apart(settings, clock):
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 1
    check_api_key_rate("cccc0001")
    check_ingest_rate("cccc0001")


def test_api_zero_disables_the_limit(settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    assert all(exhaust_api(5, "dddd0001"))


def test_api_limit_in_redis(settings, stream_mode):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    assert exhaust_api(2, uuid.uuid4().hex[:8]) == [True, True, False, False]
