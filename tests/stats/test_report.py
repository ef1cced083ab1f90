"""The stats layer's answers, each from raw events alone and from rollups with a raw tail.

The expectations are computed by hand from the shared site's events; every test runs once per
source, so rollups are held to the same numbers as raw events.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from stats.counts import MetricValue
from stats.query import METRICS, DateRange, StatsQuery, parse_filters
from stats.sources import RAW, ROLLED
from tests.factories import SiteFactory
from tests.known_site import hit
from tests.stats import answers as report
from tracker import pipeline, rollups

pytestmark = pytest.mark.django_db

DAY = DateRange(date(2026, 11, 20), date(2026, 11, 20), "UTC")
# When the rollups ran: nothing rolled up, the 19th rolled up (the 20th read raw), both rolled up.
ROLLED_UP_AT = {
    "raw": None,
    "tail": datetime(2026, 11, 20, 12, tzinfo=UTC),
    "rolled": datetime(2026, 11, 22, tzinfo=UTC),
}


@pytest.fixture(params=list(ROLLED_UP_AT))
def source(request, site):
    at = ROLLED_UP_AT[request.param]
    if at is None:
        return RAW
    rollups.roll_up_site(site, now=at)
    return ROLLED


def values(site, source, metrics, filters="", dates=DAY, comparison=None) -> dict:
    query = StatsQuery(
        site_id=site.id, dates=dates, metrics=tuple(metrics), filters=parse_filters(filters), comparison=comparison
    )
    return {metric: value.value for metric, value in report.aggregate(query, source=source).items()}


def test_every_metric_over_a_day(site, source):
    assert values(site, source, METRICS) == {
        "visitors": 3,
        "visits": 3,
        "pageviews": 4,
        "views_per_visit": 1.33,
        "bounce_rate": 67,
        "visit_duration": 55,
        "events": 5,
        "engaged_time": 11,
        "scroll_depth": 50,
        "conversion_rate": None,  # no goal, no rate
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ("event:page==/blog/x", {"visitors": 2, "pageviews": 2}),
        ("event:page==/blog/x|/", {"visitors": 3, "pageviews": 3}),
        ("event:page!=/blog/x", {"visitors": 2, "pageviews": 2}),
        ("event:page~BLOG", {"visitors": 2, "pageviews": 2}),
        ("visit:source==Google", {"visitors": 1, "pageviews": 2}),  # the visit's later page counts too
        ("visit:source==Direct / None", {"visitors": 1, "pageviews": 1}),  # as breakdowns name no source
        ("visit:source!=Direct / None", {"visitors": 2, "pageviews": 3}),
        ("visit:utm_source==newsletter", {"visitors": 1, "pageviews": 1}),
        ("visit:entry_page==/blog/x", {"visitors": 2, "pageviews": 3}),
        ("event:name==Signup", {"visitors": 1, "pageviews": 0}),
        ("event:props:plan==pro", {"visitors": 1, "pageviews": 0}),
        ("event:page==/blog/x;visit:source==Google", {"visitors": 1, "pageviews": 1}),
        ("visit:country==DE", {"visitors": 0, "pageviews": 0}),
    ],
)
def test_filters(site, source, filters, expected):
    assert values(site, source, ["visitors", "pageviews"], filters) == expected


def test_no_data_gives_zeros_not_errors(site, source):
    empty = DateRange(date(2020, 1, 1), date(2020, 1, 31), "UTC")
    assert values(
        site, source, ["visitors", "bounce_rate", "views_per_visit", "visit_duration", "scroll_depth"], dates=empty
    ) == {
        "visitors": 0,
        "bounce_rate": 0,
        "views_per_visit": 0,
        "visit_duration": 0,
        "scroll_depth": None,
    }


def test_comparison_with_the_previous_period(site, source):
    query = StatsQuery(
        site_id=site.id, dates=DAY, metrics=("visitors", "bounce_rate"), comparison=DAY.previous_period()
    )
    result = report.aggregate(query, source=source)
    assert result["visitors"] == MetricValue(3, 1, 200)
    assert result["bounce_rate"] == MetricValue(67, 100, -33)  # percentage points


def test_days_are_the_sites_local_days(site, source):
    # 10:00 UTC on the 20th is midnight starting the 21st at UTC+14 and the 20th at UTC-10.
    def on(day: int, zone: str) -> dict:
        return values(site, source, ["visitors"], dates=DateRange(date(2026, 11, day), date(2026, 11, day), zone))

    assert on(21, "Pacific/Kiritimati") == {"visitors": 3}
    assert on(20, "Pacific/Kiritimati") == {"visitors": 1}  # A's visit of the day before
    assert on(20, "Pacific/Honolulu") == {"visitors": 3}


def test_other_sites_never_count(site, source):
    other = SiteFactory()
    pipeline.process_batch([hit(other, 1, 0, "/")])
    assert values(site, source, ["visitors"]) == {"visitors": 3}


def test_query_count_is_fixed(site, source, django_assert_max_num_queries):
    query = StatsQuery(
        site_id=site.id,
        dates=DAY,
        metrics=("visitors", "bounce_rate"),
        comparison=DAY.previous_period(),
        filters=parse_filters("event:page==/blog/x;visit:source!=Bing"),
    )
    with django_assert_max_num_queries(4):
        report.aggregate(query, source=source)


def query_for(site, **fields) -> StatsQuery:
    return StatsQuery(site_id=site.id, **{"dates": DAY, **fields})


def test_timeseries_by_hour_has_every_bucket(site, source):
    rows = report.timeseries(query_for(site, metrics=("visitors", "pageviews"), interval="hour"), source=source)
    assert len(rows) == 24
    assert rows[10] == {"date": datetime(2026, 11, 20, 10), "visitors": 3, "pageviews": 4}
    assert rows[9] == {"date": datetime(2026, 11, 20, 9), "visitors": 0, "pageviews": 0}


def test_timeseries_by_day_in_the_sites_zone(site, source):
    two_days = DateRange(date(2026, 11, 19), date(2026, 11, 20), "UTC")
    rows = report.timeseries(
        query_for(site, dates=two_days, metrics=("visitors", "bounce_rate"), interval="day"), source=source
    )
    assert rows == [
        {"date": date(2026, 11, 19), "visitors": 1, "bounce_rate": 100},
        {"date": date(2026, 11, 20), "visitors": 3, "bounce_rate": 67},
    ]
    kiritimati = DateRange(date(2026, 11, 20), date(2026, 11, 21), "Pacific/Kiritimati")
    shifted = report.timeseries(query_for(site, dates=kiritimati, metrics=("visitors",), interval="day"), source=source)
    assert [row["visitors"] for row in shifted] == [1, 3]


def test_timeseries_by_week_and_month_sum_to_the_aggregate(site, source):
    november = DateRange(date(2026, 11, 1), date(2026, 11, 30), "UTC")
    weeks = report.timeseries(query_for(site, dates=november, metrics=("pageviews",), interval="week"), source=source)
    months = report.timeseries(query_for(site, dates=november, metrics=("pageviews",), interval="month"), source=source)
    assert sum(row["pageviews"] for row in weeks) == 5
    assert weeks[0]["date"] == date(2026, 10, 26)  # weeks start on Monday
    assert months == [{"date": date(2026, 11, 1), "pageviews": 5}]


def test_breakdown_by_page(site, source):
    rows = report.breakdown(
        query_for(site, metrics=("visitors", "pageviews", "bounce_rate"), breakdown="event:page"), source=source
    )
    assert rows == [
        {"page": "/blog/x", "visitors": 2, "pageviews": 2, "bounce_rate": 50},
        {"page": "/", "visitors": 1, "pageviews": 1, "bounce_rate": 100},
        {"page": "/about", "visitors": 1, "pageviews": 1, "bounce_rate": 0},
    ]


def test_breakdown_by_visit_source_and_entry_page(site, source):
    sources = report.breakdown(
        query_for(site, metrics=("visitors", "visit_duration"), breakdown="visit:source"), source=source
    )
    assert sources == [  # ties in visitors are ordered by value; "" is a direct visit
        {"source": "Direct / None", "visitors": 1, "visit_duration": 5},
        {"source": "Google", "visitors": 1, "visit_duration": 150},
        {"source": "newsletter", "visitors": 1, "visit_duration": 10},  # utm_source wins over the referrer
    ]
    entries = report.breakdown(query_for(site, metrics=("visits",), breakdown="visit:entry_page"), source=source)
    assert entries == [{"entry_page": "/blog/x", "visits": 2}, {"entry_page": "/", "visits": 1}]


def test_breakdown_by_custom_property_and_pages(site, source):
    plans = report.breakdown(query_for(site, metrics=("events",), breakdown="event:props:plan"), source=source)
    assert plans == [{"plan": "pro", "events": 1}]
    first = report.breakdown(
        query_for(site, metrics=("visitors",), breakdown="event:page"), source=source, limit=1, page=1
    )
    second = report.breakdown(
        query_for(site, metrics=("visitors",), breakdown="event:page"), source=source, limit=1, page=2
    )
    assert (first, second) == ([{"page": "/blog/x", "visitors": 2}], [{"page": "/", "visitors": 1}])


@pytest.mark.parametrize(
    ("fields", "most"),
    [
        ({"metrics": tuple(METRICS), "comparison": DAY.previous_period()}, 10),
        ({"metrics": tuple(METRICS), "interval": "hour"}, 6),
        ({"metrics": tuple(METRICS), "interval": "day", "filters": parse_filters("event:page==/blog/x")}, 6),
        ({"metrics": tuple(METRICS), "breakdown": "visit:source"}, 7),
    ],
)
def test_queries_per_answer_are_bounded_whatever_the_source(site, source, fields, most, django_assert_max_num_queries):
    query = query_for(site, **fields)
    answers = [report.breakdown] if query.breakdown else [report.aggregate, report.timeseries]
    for answer in answers:
        with django_assert_max_num_queries(most):
            answer(query, source=source)
