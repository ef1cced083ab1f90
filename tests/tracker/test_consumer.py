"""The worker's stream reader: it blocks on the stream, stores what arrives at once, outlives Redis and
database outages, and stops when asked."""

from __future__ import annotations

import threading
import time

import pytest

from tests.factories import SiteFactory
from tests.tracker.test_buffer import REFUSING_REDIS, make_hits, stored_uuids, waiting
from tests.worker import wait_until
from tracker import buffer, consumer, metrics
from tracker.connections import blocking_client

pytestmark = pytest.mark.django_db(transaction=True)


def start_reader() -> consumer.StreamReader:
    reader = consumer.StreamReader()
    reader.start()
    return reader


def test_a_read_waits_for_events_and_returns_as_soon_as_they_arrive(stream_mode, settings):
    settings.BUFFER_BLOCK_SECONDS = 5.0
    hits = make_hits(SiteFactory(), 3)
    client = blocking_client(settings.REDIS_URL, block_seconds=5.0)
    threading.Timer(0.3, buffer.push, args=(hits,)).start()
    started = time.monotonic()
    assert consumer.read_once(client, "reader-1") == 3
    assert 0.2 < time.monotonic() - started < 3.0, "woken by the events, not by the timeout"
    assert stored_uuids() == {h.uuid for h in hits}
    assert "reader-1" in metrics.workers_last_seen()


def test_an_idle_read_returns_after_the_block_time(stream_mode, settings):
    settings.BUFFER_BLOCK_SECONDS = 0.3
    client = blocking_client(settings.REDIS_URL, block_seconds=0.3)
    started = time.monotonic()
    assert consumer.read_once(client, "reader-1") == 0
    assert 0.25 < time.monotonic() - started < 2.0


def test_the_reader_stores_everything_and_stops_when_asked(stream_mode, settings):
    settings.BUFFER_BLOCK_SECONDS = 0.5
    reader = start_reader()
    hits = make_hits(SiteFactory(), 2500)
    for start in range(0, len(hits), 500):
        buffer.push(hits[start : start + 500])
    assert wait_until(lambda: len(stored_uuids()) == len(hits), timeout=60, interval=0.1)
    started = time.monotonic()
    reader.stop()
    assert not reader.thread.is_alive()
    assert time.monotonic() - started < 2.0
    assert stored_uuids() == {h.uuid for h in hits}
    assert waiting() == 0


def test_the_reader_outlives_an_unreachable_redis(settings, caplog):
    settings.REDIS_URL = REFUSING_REDIS
    settings.BUFFER_BLOCK_SECONDS = 0.2
    reader = start_reader()
    assert wait_until(lambda: "Redis is unreachable" in caplog.text, timeout=10)
    assert reader.thread.is_alive()
    reader.stop()
    assert not reader.thread.is_alive()


def test_the_reader_outlives_a_failing_batch(stream_mode, settings, monkeypatch, caplog):
    """A bug in a batch leaves it pending and logged; the reader goes on and replays it."""
    settings.BUFFER_BLOCK_SECONDS = 0.2
    monkeypatch.setattr(consumer, "ERROR_PAUSE_SECONDS", 0.05)
    real = buffer.pipeline.process_batch
    failures = iter([True])

    def fail_once(hits):
        if next(failures, False):
            raise ValueError("a bug")
        return real(hits)

    monkeypatch.setattr(buffer.pipeline, "process_batch", fail_once)
    hits = make_hits(SiteFactory(), 5)
    buffer.push(hits)
    reader = start_reader()
    try:
        assert wait_until(lambda: len(stored_uuids()) == 5, timeout=20, interval=0.05), caplog.text
    finally:
        reader.stop()
    assert "reading the event stream failed" in caplog.text
    assert stored_uuids() == {h.uuid for h in hits}
