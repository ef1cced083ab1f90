"""Readiness: the database alone in the embedded mode; Redis, the stream's age and a worker's heartbeat
with Redis. Every failure is a failed check with a reason, never an exception."""

from __future__ import annotations

import time

import pytest
from django.db import OperationalError, connection

from ops import checks
from tests.factories import SiteFactory
from tests.tracker.test_buffer import REFUSING_REDIS, make_hits
from tracker import buffer, metrics

pytestmark = pytest.mark.django_db


def by_name(results: list[checks.Check]) -> dict[str, bool]:
    return {check.name: check.ok for check in results}


def test_embedded_mode_checks_the_database_alone(settings):
    settings.REDIS_URL = ""
    assert by_name(checks.readiness()) == {"database": True}


def test_a_database_that_does_not_answer_fails(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    check = checks.check_database()
    assert not check.ok
    assert "connection refused" in check.detail


def test_unreachable_redis_fails_redis_and_what_depends_on_it(settings):
    settings.REDIS_URL = REFUSING_REDIS
    assert by_name(checks.readiness()) == {"database": True, "redis": False, "stream": False, "worker": False}


@pytest.mark.django_db(transaction=True)
def test_ready_with_a_worker_seen_and_a_fresh_stream(stream_mode):
    metrics.worker_seen("worker-1")
    buffer.push(make_hits(SiteFactory(), 2))
    assert by_name(checks.readiness()) == {"database": True, "redis": True, "stream": True, "worker": True}


@pytest.mark.django_db(transaction=True)
def test_an_old_stream_entry_fails_the_stream_check(stream_mode, settings):
    settings.READY_MAX_STREAM_AGE_SECONDS = 60
    buffer.push(make_hits(SiteFactory(), 1))
    check = checks.check_stream(now=time.time() + 61)
    assert not check.ok
    assert "1 waiting" in check.detail


def test_a_silent_worker_fails_the_worker_check(stream_mode, settings):
    settings.READY_MAX_WORKER_SILENCE_SECONDS = 60
    assert not checks.check_worker(now=time.time()).ok, "no worker ever seen"
    metrics.worker_seen("worker-1", now=1_000.0)
    assert checks.check_worker(now=1_059.0).ok
    check = checks.check_worker(now=1_061.0)
    assert not check.ok
    assert "61 s ago" in check.detail


def test_migrations_check_passes_on_the_test_database():
    assert checks.check_migrations().ok
