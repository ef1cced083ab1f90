"""stats.run: one entry point for every kind of question, with the comparison counted by the runner."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

import stats
from stats import DateRange, Kind, StatsQuery, build_query
from stats.query import parse_filters
from stats.sources import RAW, ROLLED
from tests.factories import SiteFactory
from tests.known_site import T0, hit
from tracker import pipeline, rollups

pytestmark = pytest.mark.django_db

DAY = DateRange(T0.date(), T0.date(), "UTC")


def test_an_empty_comparison_period_compares_with_zero_and_changes_nothing(site):
    """stats.example has one visit the day before, none two days before."""
    query = StatsQuery(
        site_id=site.id,
        dates=DateRange(T0.date() - timedelta(days=1), T0.date() - timedelta(days=1), "UTC"),
        metrics=("visitors", "pageviews", "bounce_rate", "visit_duration"),
        comparison=DateRange(T0.date() - timedelta(days=2), T0.date() - timedelta(days=2), "UTC"),
    )
    values = stats.run(query).values
    assert {name: (v.value, v.comparison, v.change) for name, v in values.items()} == {
        "visitors": (1, 0, None),
        "pageviews": (1, 0, None),
        "bounce_rate": (100, 0, None),
        "visit_duration": (0, 0, None),
    }


def test_a_comparison_with_data_reports_the_change_in_percent_and_points(site):
    query = StatsQuery(site_id=site.id, dates=DAY, metrics=("visitors", "bounce_rate"))
    query = replace(query, comparison=DAY.previous_period())
    values = stats.run(query).values
    assert (values["visitors"].comparison, values["visitors"].change) == (1, 200)
    assert (values["bounce_rate"].value, values["bounce_rate"].comparison, values["bounce_rate"].change) == (
        67,
        100,
        -33,
    )


def test_today_compares_with_the_same_hours_of_yesterday():
    site = SiteFactory(domain="today.example")
    noon_before = datetime(2026, 11, 19, 12, tzinfo=UTC)
    pipeline.process_batch(
        [
            hit(site, 1, (noon_before - T0).total_seconds() - 3600, "/"),  # yesterday 11:00, within the span
            hit(site, 2, (noon_before - T0).total_seconds() + 3600, "/"),  # yesterday 13:00, after it
            hit(site, 3, 0, "/"),  # today 10:00
        ]
    )
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    query = build_query(
        site_id=site.id, timezone="UTC", params={"period": "day", "compare": "previous_period"}, now=now
    )
    assert query.comparison == DateRange.between(datetime(2026, 11, 19, tzinfo=UTC), noon_before)
    visitors = stats.run(query).values["visitors"]
    assert (visitors.value, visitors.comparison, visitors.change) == (1, 1, 0)


def test_this_month_compares_with_the_same_days_of_last_month_from_rollups():
    site = SiteFactory(domain="month.example")
    hits = [
        hit(site, n, (datetime(2026, 10, day, 9, tzinfo=UTC) - T0).total_seconds(), "/")
        for n, day in enumerate((2, 5, 25), 1)
    ]
    hits += [hit(site, 9, (datetime(2026, 11, 3, 9, tzinfo=UTC) - T0).total_seconds(), "/")]
    pipeline.process_batch(hits)
    now = datetime(2026, 11, 6, 15, tzinfo=UTC)
    rollups.roll_up_site(site, now=now)
    query = build_query(
        site_id=site.id, timezone="UTC", params={"period": "month", "compare": "previous_period"}, now=now
    )
    # November 1 to 6, 15:00, against the same 5 days and 15 hours of the period before.
    start = datetime(2026, 10, 2, tzinfo=UTC)
    assert query.comparison == DateRange.between(start, start + (now - datetime(2026, 11, 1, tzinfo=UTC)))
    visitors = stats.run(query).values["visitors"]
    assert (visitors.value, visitors.comparison) == (1, 2)
    assert stats.run(query, source=RAW).values == stats.run(query, source=ROLLED).values


def test_a_finished_period_compares_with_the_whole_period_before(site):
    query = build_query(
        site_id=site.id,
        timezone="UTC",
        params={"period": "custom", "date": "2026-11-01,2026-11-10", "compare": "previous_period"},
        now=datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert query.comparison == DateRange(date(2026, 10, 22), date(2026, 10, 31), "UTC")


def test_timeseries_rows_and_the_comparisons_buckets(site):
    query = StatsQuery(
        site_id=site.id, dates=DAY, interval="day", kind=Kind.TIMESERIES, comparison=DAY.previous_period()
    )
    result = stats.run(query)
    assert result.rows == [(T0.date(), {"visitors": 3})]
    assert result.comparison_rows == [(T0.date() - timedelta(days=1), {"visitors": 1})]


def test_a_sparse_timeseries_has_rows_only_where_events_are(site):
    week = DateRange(T0.date() - timedelta(days=6), T0.date(), "UTC")
    query = StatsQuery(site_id=site.id, dates=week, interval="day", kind=Kind.TIMESERIES)
    assert len(stats.run(query).rows) == 7
    assert [bucket for bucket, _ in stats.run(replace(query, sparse=True)).rows] == [
        T0.date() - timedelta(days=1),
        T0.date(),
    ]


def test_buckets_of_seconds_are_aligned_to_the_epoch(site):
    query = StatsQuery(site_id=site.id, dates=DAY, interval="3600s", kind=Kind.TIMESERIES, metrics=("events",))
    rows = stats.run(query).rows
    assert [start for start, _ in rows] == [int(T0.timestamp())]
    assert rows[0][1]["events"] == 5  # the engagement reports are no events


def test_a_breakdown_comes_a_page_at_a_time_and_says_whether_more_follow(site):
    query = StatsQuery(site_id=site.id, dates=DAY, kind=Kind.BREAKDOWN, breakdown="event:page", limit=2)
    first = stats.run(query)
    assert [value for value, _ in first.rows] == ["/blog/x", "/"]
    assert first.more
    last = stats.run(replace(query, page=2))
    assert ([value for value, _ in last.rows], last.more) == (["/about"], False)
    every = stats.run(replace(query, limit=None))
    assert ([value for value, _ in every.rows], every.more) == (["/blog/x", "/", "/about"], False)


def test_prop_keys_list_the_keys_in_use_most_used_first(site):
    assert stats.prop_keys(StatsQuery(site_id=site.id, dates=DAY)) == ["plan"]
    assert stats.prop_keys(StatsQuery(site_id=site.id, dates=DAY, filters=parse_filters("event:page==/about"))) == []
    pipeline.process_batch(
        [
            hit(site, 7, 60, "/", name="Click", props={"plan": "pro", "size": "L", "bad\nkey": 1}),
            hit(site, 8, 60, "/", name="Click", props={"size": "M"}),
        ]
    )
    # "size" and "plan" are on two events each: the tie goes by name; a key no query can name is left out.
    assert stats.prop_keys(StatsQuery(site_id=site.id, dates=DAY)) == ["plan", "size"]
