"""Raw counts the other modules do not cover: exact time bounds, fixed-length buckets, event rows,
and the event-level properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stats import raw
from stats.query import DateRange, Filter, Operator, StatsQuery
from stats.sources import ROLLED
from tests.factories import EventFactory, SiteFactory
from tests.known_site import T0, hit
from tracker import pipeline, rollups

pytestmark = pytest.mark.django_db

EPOCH_T0 = int(T0.timestamp())


def query(site, **fields) -> StatsQuery:
    return StatsQuery(site_id=site.id, dates=DateRange(T0.date(), T0.date(), "UTC"), **fields)


def test_exact_bounds_count_only_the_moments_inside(site):
    dates = DateRange.between(T0, T0 + timedelta(seconds=6))
    counts = raw.totals(query(site), dates)
    # The three arrivals at 10:00:00 and B's engagement at 10:00:05 (which is not an event).
    assert (counts.events, counts.visitors) == (3, 3)


def test_rollups_leave_exact_bounds_to_raw_events(site):
    rollups.roll_up_site(site, now=datetime(2026, 11, 22, tzinfo=UTC))
    partial = DateRange.between(T0 + timedelta(seconds=100), T0 + timedelta(days=1))
    assert ROLLED.totals(query(site), partial) == raw.totals(query(site), partial)
    assert ROLLED.totals(query(site), partial).events == 1


def test_by_seconds_aligns_buckets_to_the_epoch(site):
    buckets = raw.by_seconds(query(site), query(site).dates, 100)
    assert {start: (c.events, c.visitors) for start, c in buckets.items()} == {
        EPOCH_T0: (4, 3),  # A, B and C arrive, C signs up
        EPOCH_T0 + 100: (1, 1),  # A's /about at 120 s (and its engagement at 150 s)
    }
    hours = raw.by_seconds(query(site), DateRange.between(T0 - timedelta(days=2), T0 + timedelta(days=1)), 3600)
    assert sorted(hours) == [EPOCH_T0 - 86_400, EPOCH_T0]
    with pytest.raises(ValueError, match="at least one second"):
        raw.by_seconds(query(site), query(site).dates, 0)


def test_by_seconds_floors_times_before_1970():
    site = SiteFactory()
    EventFactory(site=site, timestamp=datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC))
    EventFactory(site=site, timestamp=datetime(1970, 1, 1, tzinfo=UTC))
    dates = DateRange.between(datetime(1969, 1, 1, tzinfo=UTC), datetime(1971, 1, 1, tzinfo=UTC))
    buckets = raw.by_seconds(StatsQuery(site_id=site.id, dates=dates), dates, 7)
    assert {start: c.events for start, c in buckets.items()} == {-7: 1, 0: 1}


def test_event_rows_come_oldest_first_and_ties_as_stored():
    site = SiteFactory()
    late, tie_a, tie_b = (
        EventFactory(site=site, timestamp=T0 + timedelta(seconds=1), path="/late"),
        EventFactory(site=site, timestamp=T0, path="/first"),
        EventFactory(site=site, timestamp=T0, path="/second"),
    )
    dates = DateRange(T0.date(), T0.date(), "UTC")
    rows = list(raw.event_rows(StatsQuery(site_id=site.id, dates=dates), dates, ["path", "uuid"]))
    assert rows == [(e.path, e.uuid) for e in (tie_a, tie_b, late)]


def test_event_properties_group_by_the_events_own_value_not_the_visits():
    site = SiteFactory(domain="moves.example")
    # One visitor, one visit, two events that differ in country, platform and referrer.
    pipeline.process_batch(
        [
            hit(site, 7, 0, "/", country="FR", fixed={"os": "Linux", "referrer": "a.io"}),
            hit(site, 7, 60, "/", country="DE", fixed={"os": "Custom", "referrer": "b.io"}),
        ]
    )
    dates = DateRange(T0.date(), T0.date(), "UTC")
    for event_prop, visit_prop, expected in [
        ("event:country", "visit:country", {"FR", "DE"}),
        ("event:os", "visit:os", {"Linux", "Custom"}),
        ("event:referrer", "visit:referrer", {"a.io", "b.io"}),
    ]:
        by_event = raw.by_value(StatsQuery(site_id=site.id, dates=dates, breakdown=event_prop), dates)
        by_visit = raw.by_value(StatsQuery(site_id=site.id, dates=dates, breakdown=visit_prop), dates)
        assert set(by_event) == expected
        assert len(by_visit) == 1


@pytest.mark.parametrize("breakdown", [None, "visit:source", "event:page"])
def test_a_goal_the_site_does_not_have_filters_every_bucket_and_row_out(site, breakdown):
    unknown = query(site, filters=(Filter("event:goal", Operator.IS, ("No such goal",)),), breakdown=breakdown)
    counted = raw.by_value(unknown, unknown.dates) if breakdown else raw.by_bucket(unknown, unknown.dates)
    assert counted == {}
