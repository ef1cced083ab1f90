"""Retention: raw rows past a site's retention go in bounded batches; rollups and other sites stay."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import TIME_ZERO, SiteFactory
from tests.tracker.events import store, visits
from tracker import rollups, tasks
from tracker.lifecycle import retention
from tracker.models import Event, Rollup, Session

pytestmark = pytest.mark.django_db


def rollup_rows(site) -> list[tuple]:
    fields = ["day", *(f.attname for f in Rollup._meta.concrete_fields if f.attname not in ("id", "day"))]
    return sorted(Rollup.objects.filter(site=site).values_list(*fields))


@pytest.fixture
def old_and_new():
    site = SiteFactory(domain="kept.example", retention_days=30)
    store(visits(site, visitors=3, hours=2))  # 2026-11-20
    store(visits(site, start=TIME_ZERO + timedelta(days=40), visitors=2, hours=1))  # 2026-12-30
    return site


def test_events_and_visits_past_retention_go_and_rollups_stay(old_and_new, settings):
    site = old_and_new
    other = SiteFactory(domain="forever.example")  # no retention: kept whatever its age
    store(visits(other, visitors=1, hours=1))
    settings.DELETE_BATCH_SIZE = 4  # many small transactions
    now = TIME_ZERO + timedelta(days=41)
    rollups.roll_up_site(site, now=now)
    before = rollup_rows(site)
    old = Event.objects.filter(site=site, timestamp__lt=TIME_ZERO + timedelta(days=11)).count()
    result = retention.apply_site_retention(site, now=now)
    assert result.events == old
    assert result.sessions > 0
    assert not Event.objects.filter(site=site, timestamp__lt=now - timedelta(days=30)).exists()
    assert not Session.objects.filter(site=site, last_seen__lt=now - timedelta(days=30)).exists()
    assert Event.objects.filter(site=site).count() > 0  # December's events stay
    assert Event.objects.filter(site_id=other.id).count() > 0
    assert rollup_rows(site) == before
    # A later rollup run leaves the old days' rows as they were.
    rollups.roll_up_site(site, now=now + timedelta(days=1))
    assert [r for r in rollup_rows(site) if r[0] <= TIME_ZERO.date()] == [r for r in before if r[0] <= TIME_ZERO.date()]


def test_unset_retention_keeps_everything(old_and_new):
    site = old_and_new
    site.retention_days = None
    site.save()
    count = Event.objects.count()
    assert retention.apply_site_retention(site, now=TIME_ZERO + timedelta(days=400)).events == 0
    assert Event.objects.count() == count


def test_nothing_that_is_not_rolled_up_is_deleted(old_and_new):
    site = old_and_new
    site.retention_days = 0
    site.save()
    now = TIME_ZERO + timedelta(days=40, hours=2)
    retention.apply_site_retention(site, now=now)
    # Today is not rolled up yet, so today's events stay even with a retention of 0 days.
    assert Event.objects.filter(site=site, timestamp__gte=TIME_ZERO + timedelta(days=40)).exists()


def test_the_beat_task_applies_every_sites_retention(old_and_new):
    old_and_new.retention_days = 1
    old_and_new.save()
    # The wall clock is days past TIME_ZERO: November's events are past a day's retention.
    assert tasks.retention_task.delay().get() > 0
    assert not Event.objects.filter(timestamp__lt=TIME_ZERO + timedelta(days=1)).exists()


def test_dropped_event_counts_are_kept_for_thirty_days(db):
    from tracker.models import DropCount

    site = SiteFactory()
    for days in (1, 29, 31):
        DropCount.objects.create(site_id=site.id, hour=TIME_ZERO - timedelta(days=days), reason="bot", events=days)
    retention.apply_retention(now=TIME_ZERO)
    assert sorted(DropCount.objects.values_list("events", flat=True)) == [1, 29]
