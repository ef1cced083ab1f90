"""Metrics from raw events: each metric, each filter operator, comparisons, the site's days."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dashboard.stats import raw
from dashboard.stats.query import METRICS, DateRange, StatsQuery, parse_filters
from tests.dashboard.conftest import hit
from tests.factories import SiteFactory
from tracker import pipeline

pytestmark = pytest.mark.django_db

DAY = DateRange(date(2026, 11, 20), date(2026, 11, 20), "UTC")


def values(site, metrics, filters="", dates=DAY, comparison=None) -> dict:
    query = StatsQuery(
        site_id=site.id, dates=dates, metrics=tuple(metrics), filters=parse_filters(filters), comparison=comparison
    )
    return {metric: value.value for metric, value in raw.aggregate(query).items()}


def test_every_metric_over_a_day(site):
    assert values(site, METRICS) == {
        "visitors": 3,
        "visits": 3,
        "pageviews": 4,
        "views_per_visit": 1.33,
        "bounce_rate": 67,
        "visit_duration": 55,
        "events": 5,
        "engaged_time": 11,
        "scroll_depth": 50,
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ("event:page==/blog/x", {"visitors": 2, "pageviews": 2}),
        ("event:page==/blog/x|/", {"visitors": 3, "pageviews": 3}),
        ("event:page!=/blog/x", {"visitors": 2, "pageviews": 2}),
        ("event:page~BLOG", {"visitors": 2, "pageviews": 2}),
        ("visit:source==Google", {"visitors": 1, "pageviews": 2}),  # the visit's later page counts too
        ("visit:utm_source==newsletter", {"visitors": 1, "pageviews": 1}),
        ("visit:entry_page==/blog/x", {"visitors": 2, "pageviews": 3}),
        ("event:name==Signup", {"visitors": 1, "pageviews": 0}),
        ("event:props:plan==pro", {"visitors": 1, "pageviews": 0}),
        ("event:page==/blog/x;visit:source==Google", {"visitors": 1, "pageviews": 1}),
        ("visit:country==DE", {"visitors": 0, "pageviews": 0}),
    ],
)
def test_filters(site, filters, expected):
    assert values(site, ["visitors", "pageviews"], filters) == expected


def test_no_data_gives_zeros_not_errors(site):
    empty = DateRange(date(2020, 1, 1), date(2020, 1, 31), "UTC")
    assert values(
        site, ["visitors", "bounce_rate", "views_per_visit", "visit_duration", "scroll_depth"], dates=empty
    ) == {
        "visitors": 0,
        "bounce_rate": 0,
        "views_per_visit": 0,
        "visit_duration": 0,
        "scroll_depth": None,
    }


def test_comparison_with_the_previous_period(site):
    query = StatsQuery(
        site_id=site.id, dates=DAY, metrics=("visitors", "bounce_rate"), comparison=DAY.previous_period()
    )
    result = raw.aggregate(query)
    assert result["visitors"] == raw.MetricValue(3, 1, 200)
    assert result["bounce_rate"] == raw.MetricValue(67, 100, -33)  # percentage points


def test_days_are_the_sites_local_days(site):
    # 10:00 UTC on the 20th is midnight starting the 21st at UTC+14 and the 20th at UTC-10.
    def on(day: int, zone: str) -> dict:
        return values(site, ["visitors"], dates=DateRange(date(2026, 11, day), date(2026, 11, day), zone))

    assert on(21, "Pacific/Kiritimati") == {"visitors": 3}
    assert on(20, "Pacific/Kiritimati") == {"visitors": 1}  # A's visit of the day before
    assert on(20, "Pacific/Honolulu") == {"visitors": 3}


def test_other_sites_never_count(site):
    other = SiteFactory()
    pipeline.process_batch([hit(other, 1, 0, "/")])
    assert values(site, ["visitors"]) == {"visitors": 3}


def test_query_count_is_fixed(site, django_assert_max_num_queries):
    query = StatsQuery(
        site_id=site.id,
        dates=DAY,
        metrics=("visitors", "bounce_rate"),
        comparison=DAY.previous_period(),
        filters=parse_filters("event:page==/blog/x;visit:source!=Bing"),
    )
    with django_assert_max_num_queries(4):
        raw.aggregate(query)


def query_for(site, **fields) -> StatsQuery:
    return StatsQuery(site_id=site.id, **{"dates": DAY, **fields})


def test_timeseries_by_hour_has_every_bucket(site):
    rows = raw.timeseries(query_for(site, metrics=("visitors", "pageviews"), interval="hour"))
    assert len(rows) == 24
    assert rows[10] == {"date": datetime(2026, 11, 20, 10), "visitors": 3, "pageviews": 4}
    assert rows[9] == {"date": datetime(2026, 11, 20, 9), "visitors": 0, "pageviews": 0}


def test_timeseries_by_day_in_the_sites_zone(site):
    two_days = DateRange(date(2026, 11, 19), date(2026, 11, 20), "UTC")
    rows = raw.timeseries(query_for(site, dates=two_days, metrics=("visitors", "bounce_rate"), interval="day"))
    assert rows == [
        {"date": date(2026, 11, 19), "visitors": 1, "bounce_rate": 100},
        {"date": date(2026, 11, 20), "visitors": 3, "bounce_rate": 67},
    ]
    kiritimati = DateRange(date(2026, 11, 20), date(2026, 11, 21), "Pacific/Kiritimati")
    shifted = raw.timeseries(query_for(site, dates=kiritimati, metrics=("visitors",), interval="day"))
    assert [row["visitors"] for row in shifted] == [1, 3]


def test_timeseries_by_week_and_month_sum_to_the_aggregate(site):
    november = DateRange(date(2026, 11, 1), date(2026, 11, 30), "UTC")
    weeks = raw.timeseries(query_for(site, dates=november, metrics=("pageviews",), interval="week"))
    months = raw.timeseries(query_for(site, dates=november, metrics=("pageviews",), interval="month"))
    assert sum(row["pageviews"] for row in weeks) == 5
    assert weeks[0]["date"] == date(2026, 10, 26)  # weeks start on Monday
    assert months == [{"date": date(2026, 11, 1), "pageviews": 5}]


def test_breakdown_by_page(site):
    rows = raw.breakdown(query_for(site, metrics=("visitors", "pageviews", "bounce_rate"), breakdown="event:page"))
    assert rows == [
        {"page": "/blog/x", "visitors": 2, "pageviews": 2, "bounce_rate": 50},
        {"page": "/", "visitors": 1, "pageviews": 1, "bounce_rate": 100},
        {"page": "/about", "visitors": 1, "pageviews": 1, "bounce_rate": 0},
    ]


def test_breakdown_by_visit_source_and_entry_page(site):
    sources = raw.breakdown(query_for(site, metrics=("visitors", "visit_duration"), breakdown="visit:source"))
    assert sources == [  # ties in visitors are ordered by value; "" is a direct visit
        {"source": "", "visitors": 1, "visit_duration": 5},
        {"source": "Google", "visitors": 1, "visit_duration": 150},
        {"source": "newsletter", "visitors": 1, "visit_duration": 10},  # utm_source wins over the referrer
    ]
    entries = raw.breakdown(query_for(site, metrics=("visits",), breakdown="visit:entry_page"))
    assert entries == [{"entry_page": "/blog/x", "visits": 2}, {"entry_page": "/", "visits": 1}]


def test_breakdown_by_custom_property_and_pages(site):
    plans = raw.breakdown(query_for(site, metrics=("events",), breakdown="event:props:plan"))
    assert plans == [{"plan": "pro", "events": 1}]
    first = raw.breakdown(query_for(site, metrics=("visitors",), breakdown="event:page"), limit=1, page=1)
    second = raw.breakdown(query_for(site, metrics=("visitors",), breakdown="event:page"), limit=1, page=2)
    assert (first, second) == ([{"page": "/blog/x", "visitors": 2}], [{"page": "/", "visitors": 1}])
