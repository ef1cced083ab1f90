"""Shared fixtures: cache resets, service detection, a GeoIP database, the access matrices' principals."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from django.db import connection

from sites import exclusions, selectors
from tests.principals import Principals, principals_create
from tracker import connections, metrics
from tracker.pipeline.enrich import geo, hashing

REQUIRE_SERVICES = os.environ.get("FOOTFALL_REQUIRE_SERVICES") == "1"
# stats.example with known numbers (site, recent_visitors, secrets), shared by several test folders.
pytest_plugins = ["tests.known_site", "tests.smtp", "tests.event_store_mode"]


def need_service(reason: str) -> None:
    """Skip in embedded mode; fail where CI requires the production stack."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    cache.clear()
    metrics.PROCESS_COUNTS.clear()
    hashing.forget_cached_salts()
    geo.forget_cached_readers()
    selectors.forget_cached_sites()
    exclusions.forget_cached_exclusions()
    yield
    selectors.forget_cached_sites()
    exclusions.forget_cached_exclusions()
    hashing.forget_cached_salts()
    geo.forget_cached_readers()


@pytest.fixture(autouse=True)
def archive_dir(tmp_path: Path, settings) -> Path:
    """Each test archives into a folder of its own, never into var/archive/."""
    path = tmp_path / "archive"
    settings.STORAGES = {
        **settings.STORAGES,
        "archive": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(path)}},
    }
    return path


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        need_service("REDIS_URL is not set (embedded mode)")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        need_service(f"Redis at {url} is unreachable: {exc}")
    return url


@pytest.fixture
def postgres() -> None:
    if connection.vendor != "postgresql":
        need_service("DATABASE_URL does not point at PostgreSQL (embedded mode)")


@pytest.fixture
def stream_mode(settings, redis_url: str) -> Iterator[redis.Redis]:
    """Switch the buffer to a Redis stream of this test's own; delete it afterwards."""
    settings.REDIS_URL = redis_url
    settings.BUFFER_STREAM = f"footfall:test:{uuid.uuid4().hex}"
    client = connections.redis_client(redis_url)
    yield client
    client.delete(
        settings.BUFFER_STREAM,
        *connections.partition_streams(),
        metrics.counters_key(),
        metrics.workers_key(),
        metrics.batches_key(),
    )


@pytest.fixture
def geoip_db(tmp_path: Path, settings) -> Path:
    """A tiny GeoIP2-Country database: 203.0.113.0/24 is DE, 2001:db8::/32 is FR."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type="GeoIP2-Country", ipv4_compatible=True)
    writer.insert_network(IPSet(["203.0.113.0/24"]), {"country": {"iso_code": "DE"}})
    writer.insert_network(IPSet(["2001:db8::/32"]), {"country": {"iso_code": "FR"}})
    path = tmp_path / "country.mmdb"
    writer.to_db_file(str(path))
    settings.GEOIP_DATABASE = str(path)
    geo.forget_cached_readers()
    return path


@pytest.fixture
def principals(db) -> Principals:
    """The access matrices' callers around stats.example (see tests/principals.py)."""
    return principals_create()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Repeat the figures tests recorded as a `summary` property (record_property), one line each."""
    lines = [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", [])
        if name == "summary"
    ]
    if lines:
        terminalreporter.section("figures")
        for line in lines:
            terminalreporter.write_line(str(line))
