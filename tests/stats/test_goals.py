"""Goals in the stats layer: filters, the goal breakdown and conversion rates, each computed by hand from
a small site, from raw events and from rollups (goal queries fall back to raw rows, and must still
agree with whatever else the rollups answer)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stats
from sites.goals import goal_create
from stats.goals import matches_path, path_pattern
from stats.query import DateRange, Kind, StatsQuery, build_query, escape_filter_value, parse_filters
from stats.sources import RAW, ROLLED
from tests.factories import SiteFactory
from tests.known_site import hit
from tracker import pipeline, rollups
from tracker.models import Event

pytestmark = pytest.mark.django_db

DAY = DateRange(date(2026, 11, 20), date(2026, 11, 20), "UTC")
NOW = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.fixture
def shop(db):
    """goals.example on 2026-11-20 (UTC) and the day before; four visitors that day.

    1: direct, reads /blog/a and /blog/a/b, signs up on the pro plan.
    2: from Google, reads /blog/b and /pricing.
    3: direct, opens /signup and signs up twice on the free plan.
    4: direct, opens /blog (no trailing part).
    The day before: 1 opens /signup, 5 reads /blog/z.
    """
    site = SiteFactory(domain="goals.example")
    pipeline.process_batch(
        [
            hit(site, 1, 0, "/blog/a"),
            hit(site, 1, 60, "/blog/a/b"),
            hit(site, 1, 90, "/blog/a/b", name="Signup", props={"plan": "pro"}),
            hit(site, 2, 0, "/blog/b", raw_referrer="https://www.google.com/"),
            hit(site, 2, 30, "/pricing"),
            hit(site, 3, 0, "/signup"),
            hit(site, 3, 10, "/signup", name="Signup", props={"plan": "free"}),
            hit(site, 3, 20, "/signup", name="Signup", props={"plan": "free"}),
            hit(site, 4, 0, "/blog"),
            hit(site, 1, -86_400, "/signup"),
            hit(site, 5, -86_000, "/blog/z"),
        ]
    )
    for page in ("/blog/*", "/blog/**", "/signup"):
        goal_create(site=site, goal_type="page", page_path=page)
    goal_create(site=site, goal_type="event", event_name="Signup")
    goal_create(site=site, goal_type="event", event_name="Signup", custom_props={"plan": "pro"}, display_name="Pro")
    goal_create(site=site, goal_type="event", event_name="Nothing")
    return site


@pytest.fixture(params=["raw", "rolled"])
def source(request, shop):
    if request.param == "raw":
        return RAW
    rollups.roll_up_site(shop, now=NOW)
    return ROLLED


def query(site, **params) -> StatsQuery:
    """A query of 2026-11-20 as the REST API would build it (a breakdown when it names a property)."""
    kind = Kind.BREAKDOWN if "property" in params else Kind.AGGREGATE
    text = {"period": "day", "date": "2026-11-20", **params}
    return build_query(site_id=site.id, timezone="UTC", params=text, now=NOW, kind=kind)


def aggregate(site, source, **params) -> dict:
    return {name: value.value for name, value in stats.run(query(site, **params), source=source).values.items()}


def test_page_goals_match_their_wildcards():
    assert path_pattern("/blog/*") == r"\A/blog/[^/]*\Z"
    assert [matches_path("/blog/*", p) for p in ("/blog/a", "/blog/", "/blog", "/blog/a/b")] == [1, 1, 0, 0]
    assert [matches_path("/blog/**", p) for p in ("/blog/a", "/blog/a/b", "/blog", "/blogs/a")] == [1, 1, 0, 0]
    assert [matches_path("/a.b/*/c", p) for p in ("/a.b/x/c", "/aXb/x/c", "/a.b/x/y/c")] == [1, 0, 0]
    assert matches_path("/*", "/")
    assert not matches_path("/x", "/x/")


@pytest.mark.parametrize(
    ("goal", "expected"),
    [
        ("Visit /blog/*", {"visitors": 2, "events": 2, "pageviews": 2, "conversion_rate": 50.0}),
        ("Visit /blog/**", {"visitors": 2, "events": 3, "pageviews": 3, "conversion_rate": 50.0}),
        ("Visit /signup", {"visitors": 1, "events": 1, "pageviews": 1, "conversion_rate": 25.0}),
        # Repeated conversions count as events, once as a visitor.
        ("Signup", {"visitors": 2, "events": 3, "pageviews": 0, "conversion_rate": 50.0}),
        ("Pro", {"visitors": 1, "events": 1, "pageviews": 0, "conversion_rate": 25.0}),
        ("Signup|Visit /signup", {"visitors": 2, "events": 4, "pageviews": 1, "conversion_rate": 50.0}),
        # A goal no event completes, and a name the site has no goal of.
        ("Nothing", {"visitors": 0, "events": 0, "pageviews": 0, "conversion_rate": 0.0}),
        ("No such goal", {"visitors": 0, "events": 0, "pageviews": 0, "conversion_rate": 0.0}),
    ],
)
def test_a_goal_filter_keeps_the_events_that_complete_it(shop, source, goal, expected):
    metrics = "visitors,events,pageviews,conversion_rate"
    assert aggregate(shop, source, filters=f"event:goal=={goal}", metrics=metrics) == expected


def test_not_a_goal(shop, source):
    # Every event but the three sign-ups: all four visitors still have one.
    assert aggregate(shop, source, filters="event:goal!=Signup", metrics="visitors,events") == {
        "visitors": 4,
        "events": 6,
    }


def test_a_goal_with_other_filters_converts_against_the_same_filters(shop, source):
    assert aggregate(
        shop, source, filters="event:goal==Visit /blog/**;visit:source==Google", metrics="visitors,conversion_rate"
    ) == {"visitors": 1, "conversion_rate": 100.0}


def test_the_goal_breakdown(shop, source):
    result = stats.run(query(shop, property="event:goal", metrics="visitors,events,conversion_rate"), source=source)
    assert result.rows == [
        ("Signup", {"visitors": 2, "events": 3, "conversion_rate": 50.0}),
        ("Visit /blog/*", {"visitors": 2, "events": 2, "conversion_rate": 50.0}),
        ("Visit /blog/**", {"visitors": 2, "events": 3, "conversion_rate": 50.0}),
        ("Pro", {"visitors": 1, "events": 1, "conversion_rate": 25.0}),
        ("Visit /signup", {"visitors": 1, "events": 1, "conversion_rate": 25.0}),
    ]


def test_the_goal_breakdown_honours_filters(shop, source):
    result = stats.run(query(shop, property="event:goal", filters="visit:source==Google"), source=source)
    assert result.rows == [("Visit /blog/*", {"visitors": 1}), ("Visit /blog/**", {"visitors": 1})]


def test_a_breakdown_with_a_goal_filter_converts_per_value(shop, source):
    result = stats.run(
        query(shop, property="visit:source", filters="event:goal==Signup", metrics="visitors,conversion_rate"),
        source=source,
    )
    # Three direct visitors, two of whom signed up; Google's one did not, so it has no row.
    assert result.rows == [("Direct / None", {"visitors": 2, "conversion_rate": 66.7})]


def test_a_timeseries_converts_per_bucket(shop, source):
    three_days = StatsQuery(
        site_id=shop.id,
        dates=DateRange(date(2026, 11, 18), date(2026, 11, 20), "UTC"),
        metrics=("visitors", "conversion_rate"),
        filters=parse_filters("event:goal==Visit /signup"),
        kind=Kind.TIMESERIES,
    )
    assert stats.run(three_days, source=source).rows == [
        (date(2026, 11, 18), {"visitors": 0, "conversion_rate": 0.0}),
        (date(2026, 11, 19), {"visitors": 1, "conversion_rate": 50.0}),  # 1 of 1 and 5
        (date(2026, 11, 20), {"visitors": 1, "conversion_rate": 25.0}),
    ]


def test_a_conversion_rate_changes_in_points(shop, source):
    result = stats.run(
        query(shop, filters="event:goal==Visit /signup", metrics="visitors,conversion_rate", compare="previous_period"),
        source=source,
    )
    rate = result.values["conversion_rate"]
    assert (rate.value, rate.comparison, rate.change) == (25.0, 50.0, -25.0)
    assert result.values["visitors"].change == 0


def test_a_goal_counts_in_the_sites_time_zone(db):
    site = SiteFactory(domain="zone.example", timezone="America/New_York")
    # 03:00 UTC on the 21st is 22:00 on the 20th in New York.
    pipeline.process_batch([hit(site, 1, 17 * 3600, "/x", name="Signup"), hit(site, 2, 17 * 3600, "/x")])
    goal_create(site=site, goal_type="event", event_name="Signup")
    params = {
        "period": "day",
        "date": "2026-11-20",
        "filters": "event:goal==Signup",
        "metrics": "visitors,conversion_rate",
    }
    on_the_20th = build_query(site_id=site.id, timezone=site.timezone, params=params, now=NOW)
    values = stats.run(on_the_20th, source=RAW).values
    assert (values["visitors"].value, values["conversion_rate"].value) == (1, 50.0)


def test_conversion_rate_needs_a_goal(shop):
    with pytest.raises(stats.QueryError) as refused:
        query(shop, metrics="visitors,conversion_rate")
    assert refused.value.field == "metrics"
    with pytest.raises(stats.QueryError) as refused:
        query(shop, filters="event:goal~Sign")
    assert refused.value.field == "filters"


# An independent reading of the wildcards, to hold the database's matching to.
def _glob(pattern: str, path: str) -> bool:
    if not pattern:
        return not path
    if pattern.startswith("**"):
        return any(_glob(pattern[2:], path[i:]) for i in range(len(path) + 1))
    if pattern.startswith("*"):
        return any(_glob(pattern[1:], path[i:]) for i in range(len(path) + 1) if "/" not in path[:i])
    return bool(path) and path[0] == pattern[0] and _glob(pattern[1:], path[1:])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pattern=st.text("/ab.*+?[(", min_size=1, max_size=8).map(lambda p: "/" + re.sub(r"\*{3,}", "**", p)),
    paths=st.lists(st.text("/ab.+[(", max_size=6).map(lambda p: "/" + p), min_size=1, max_size=8),
)
def test_the_database_matches_page_goals_as_the_wildcards_say(db, pattern, paths):
    site = SiteFactory()
    pipeline.process_batch([hit(site, n, n, path) for n, path in enumerate(paths)])
    goal = goal_create(site=site, goal_type="page", page_path=pattern)
    filters = parse_filters(f"event:goal=={escape_filter_value(goal.display_name)}")
    counted = StatsQuery(site_id=site.id, dates=DAY, metrics=("pageviews",), filters=filters)
    stored = Event.objects.filter(site_id=site.id).values_list("path", flat=True)
    expected = sum(_glob(pattern, path) for path in stored)
    assert stats.run(counted, source=RAW).values["pageviews"].value == expected


def test_a_rate_rises_from_zero_when_the_period_before_had_visitors_but_no_conversion(shop, source):
    # The 19th: visitors 1 and 5, no sign-up; the 20th: 2 of 4 signed up.
    result = stats.run(
        query(shop, filters="event:goal==Signup", metrics="visitors,conversion_rate", compare="previous_period"),
        source=source,
    )
    rate, visitors = result.values["conversion_rate"], result.values["visitors"]
    assert (rate.value, rate.comparison, rate.change) == (50.0, 0.0, 50.0)
    assert (visitors.value, visitors.comparison, visitors.change) == (2, 0, None)


def test_each_goals_row_equals_the_goal_filters_answer(shop, source):
    metrics = "visitors,visits,pageviews,events,bounce_rate,visit_duration,conversion_rate"
    rows = dict(stats.run(query(shop, property="event:goal", metrics=metrics), source=source).rows)
    assert len(rows) == 5
    for name, row in rows.items():
        filtered = aggregate(shop, source, filters=f"event:goal=={escape_filter_value(name)}", metrics=metrics)
        assert row == filtered, name
    # The sign-ups' visits: 1's (two pages, 90 s) and 3's (one page, 20 s, a bounce).
    assert (rows["Signup"]["bounce_rate"], rows["Signup"]["visit_duration"]) == (50, 55)
