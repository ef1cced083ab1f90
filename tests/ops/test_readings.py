"""The pipeline's readings: the stream, the spool, and how far rollups and the archive are behind."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ops import readings
from tests.factories import TIME_ZERO, EventFactory, SiteFactory
from tests.tracker.test_buffer import make_hits, read_as
from tracker import buffer
from tracker.models import ArchiveCursor, RollupDirty, RollupState, SpooledHit

pytestmark = pytest.mark.django_db


def test_no_stream_in_the_embedded_mode(settings):
    settings.REDIS_URL = ""
    assert readings.stream_reading(now=time.time()) is None


@pytest.mark.django_db(transaction=True)
def test_stream_reading_counts_waiting_and_pending_entries(stream_mode, settings):
    assert readings.stream_reading(now=time.time()) == readings.StreamReading(0, 0, 0.0)
    buffer.push(make_hits(SiteFactory(), 5))
    read_as(stream_mode, "a-worker", 2)
    reading = readings.stream_reading(now=time.time() + 30)
    assert reading is not None
    assert (reading.length, reading.pending) == (5, 2)
    assert 29 < reading.oldest_age_seconds < 35


def test_spool_length():
    SpooledHit.objects.create(payload=b"{}")
    assert readings.spool_length() == 1


def test_rollup_lag_is_zero_when_every_finished_day_is_rolled_up():
    site = SiteFactory(timezone="Europe/Berlin")
    RollupState.objects.create(site_id=site.id, rolled_until=date(2026, 11, 20))
    assert readings.rollup_lag_seconds(now=TIME_ZERO) == 0


def test_rollup_lag_counts_from_the_end_of_the_oldest_day_not_rolled_up():
    berlin = SiteFactory(timezone="Europe/Berlin")
    RollupState.objects.create(site_id=berlin.id, rolled_until=date(2026, 11, 19))
    RollupState.objects.create(site_id=SiteFactory().id, rolled_until=date(2026, 11, 20))
    # 19 November ended at midnight in Berlin, 23:00 UTC.
    end = datetime(2026, 11, 20, tzinfo=ZoneInfo("Europe/Berlin"))
    assert readings.rollup_lag_seconds(now=TIME_ZERO) == (TIME_ZERO - end).total_seconds()


def test_a_site_never_rolled_up_lags_from_its_first_event():
    site = SiteFactory()
    EventFactory(site=site, timestamp=TIME_ZERO - timedelta(days=2))
    SiteFactory()  # no events, no fill state: nothing to roll up
    assert readings.rollup_lag_seconds(now=TIME_ZERO) == timedelta(days=1, hours=12).total_seconds()


def test_rollup_pending_days_are_changed_days_before_the_fill_state():
    site = SiteFactory()
    RollupState.objects.create(site_id=site.id, rolled_until=date(2026, 11, 20))
    RollupDirty.objects.create(site_id=site.id, day=date(2026, 11, 18))
    RollupDirty.objects.create(site_id=site.id, day=date(2026, 11, 20))  # today: not due
    RollupDirty.objects.create(site_id=site.id, period="month", day=date(2026, 11, 1))
    assert readings.rollup_pending_days() == 1


def test_archive_lag_counts_events_since_the_furthest_behind_cursor(settings):
    settings.ARCHIVE_ENABLED = True
    site, other = SiteFactory(), SiteFactory()
    events = [EventFactory(site=site) for _ in range(4)]
    ArchiveCursor.objects.create(site_id=site.id, last_event_id=events[1].id, flushed=TIME_ZERO)
    ArchiveCursor.objects.create(site_id=other.id, last_event_id=events[3].id, flushed=TIME_ZERO)
    assert readings.archive_lag_events() == 2
    settings.ARCHIVE_ENABLED = False
    assert readings.archive_lag_events() == 0


def test_archive_lag_without_events_is_zero(settings):
    settings.ARCHIVE_ENABLED = True
    assert readings.archive_lag_events() == 0


@pytest.mark.django_db(transaction=True)
def test_partition_readings_name_each_partition_and_its_readers(stream_mode, settings):
    buffer.push(make_hits(SiteFactory(), 12, visitors=12))
    read_as(stream_mode, "a-worker", 3)
    parts = readings.partition_readings(now=time.time())
    assert [p.stream for p in parts] == [f"{settings.BUFFER_STREAM}:p{n}" for n in range(settings.BUFFER_PARTITIONS)]
    assert sum(p.length for p in parts) == 12
    readers = [p.consumers["a-worker"] for p in parts if "a-worker" in p.consumers]
    assert sum(r.pending for r in readers) == 3
    assert all(r.idle_seconds >= 0 for r in readers)
