"""Metrics from raw events: each metric, each filter operator, comparisons, the site's days."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from dashboard.stats import raw
from dashboard.stats.query import DateRange, StatsQuery, parse_filters
from tests.factories import SiteFactory
from tracker import pipeline
from tracker.hits import Hit

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
DAY = DateRange(date(2026, 11, 20), date(2026, 11, 20), "UTC")


def hit(site, visitor, seconds, path, name="pageview", **fields) -> Hit:
    return Hit(
        uuid=str(uuid.uuid4()),
        site_id=site.id,
        name=name,
        timestamp=T0 + timedelta(seconds=seconds),
        url=f"https://{site.domain}{path}",
        visitor_hash=visitor,
        **fields,
    )


@pytest.fixture
def site():
    site = SiteFactory(domain="stats.example")
    pipeline.process_batch(
        [
            # A: from Google, two pages and 30 s of engagement.
            hit(site, 1, 0, "/blog/x", referrer="https://www.google.com/"),
            hit(site, 1, 120, "/about", referrer="https://stats.example/blog/x"),
            hit(site, 1, 150, "/about", name="engagement", engaged_ms=30_000, scroll_depth=80),
            # B: direct, one page, a short look: a bounce.
            hit(site, 2, 0, "/blog/x"),
            hit(site, 2, 5, "/blog/x", name="engagement", engaged_ms=2_000, scroll_depth=20),
            # C: from the newsletter, signs up.
            hit(site, 3, 0, "/?utm_source=newsletter"),
            hit(site, 3, 10, "/", name="Signup", props={"plan": "pro"}),
            # A the day before.
            hit(site, 1, -86_400, "/"),
        ]
    )
    return site


def values(site, metrics, filters="", dates=DAY, comparison=None) -> dict:
    query = StatsQuery(
        site_id=site.id, dates=dates, metrics=tuple(metrics), filters=parse_filters(filters), comparison=comparison
    )
    return {metric: value.value for metric, value in raw.aggregate(query).items()}


def test_every_metric_over_a_day(site):
    assert values(
        site,
        [
            "visitors",
            "visits",
            "pageviews",
            "views_per_visit",
            "bounce_rate",
            "visit_duration",
            "events",
            "engaged_time",
            "scroll_depth",
        ],
    ) == {
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
