"""The ClickHouse event store answers every question exactly as a raw recount of the database does, on
random data (hypothesis): the rollups' questions, and those rollups cannot answer (several filters,
`!=`, `~`, alternatives, custom properties, goals, entry and exit pages under a filter, funnels)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stats
from sites.goals import funnel_create, goal_create
from stats.clickhouse import ClickHouseSource, path_regex
from stats.counts import reads_visits
from stats.query import DateRange, Filter, Operator, StatsQuery, parse_filters
from stats.sources import RAW, ROLLED, RolledSource, configured
from tests.factories import SiteFactory
from tests.known_site import T0, hit
from tests.stats import answers as report
from tests.stats.test_rolled import DAYS, METRICS, START, ZONES, answers, hits_of, pageview, queries, visits
from tracker import pipeline, rollups

pytestmark = pytest.mark.django_db(transaction=False)

EVENT_METRICS = tuple(m for m in METRICS if not reads_visits([m]))


def goals_of(site) -> list:
    return [
        goal_create(site=site, goal_type="page", page_path="/blog/**", display_name="Blog"),
        goal_create(site=site, goal_type="page", page_path="/pricing", display_name="Pricing"),
        goal_create(
            site=site, goal_type="event", event_name="Signup", custom_props={"plan": "pro"}, display_name="Pro"
        ),
        goal_create(site=site, goal_type="event", event_name="Signup", display_name="Signup"),
    ]


def ad_hoc(site, dates: DateRange) -> list[StatsQuery]:
    """Questions rollups cannot answer: each counted from raw events today."""
    is_, is_not, contains = Operator.IS, Operator.IS_NOT, Operator.CONTAINS
    filter_sets = [
        (Filter("visit:source", is_not, ("Google",)),),
        (Filter("visit:country", is_, ("DE", "FR")), Filter("event:page", is_not, ("/",))),
        (Filter("event:page", contains, ("BLOG", "pric")),),
        (Filter("visit:entry_page", is_, ("/blog/a", "/")), Filter("visit:source", is_, ("Google",))),
        (Filter("visit:exit_page", is_not, ("/pricing",)),),
        (Filter("event:props:plan", is_not, ("pro",)),),
        (Filter("event:props:plan", contains, ("R",)),),
        (Filter("event:goal", is_, ("Blog", "Signup")),),
        (Filter("event:goal", is_not, ("Pricing",)), Filter("visit:country", is_not, ("US",))),
        (Filter("event:goal", is_, ("No such goal",)),),
    ]
    breakdowns = ["visit:entry_page", "visit:exit_page", "visit:source", "visit:country", "event:page", "event:goal"]
    found = []
    for filters in filter_sets:
        found.append(StatsQuery(site_id=site.id, dates=dates, metrics=METRICS, filters=filters))
        found += [
            StatsQuery(site_id=site.id, dates=dates, metrics=METRICS, filters=filters, breakdown=name)
            for name in breakdowns
        ]
        # Without the metrics read from the visits' bounces and durations, which the store joins only when asked.
        found += [
            StatsQuery(site_id=site.id, dates=dates, metrics=EVENT_METRICS, filters=filters, breakdown=name)
            for name in (None, "visit:entry_page", "event:goal")
        ]
    found.append(StatsQuery(site_id=site.id, dates=dates, metrics=METRICS, interval="300s", sparse=True))
    found.append(
        StatsQuery(site_id=site.id, dates=dates, metrics=(*METRICS, "conversion_rate"), breakdown="event:goal")
    )
    # The dashboard's goals panel: no metric of the visits' count, which the store then leaves uncounted.
    found.append(
        StatsQuery(
            site_id=site.id, dates=dates, metrics=("visitors", "events", "conversion_rate"), breakdown="event:goal"
        )
    )
    found.append(
        StatsQuery(
            site_id=site.id,
            dates=dates,
            metrics=("visitors", "conversion_rate"),
            filters=(Filter("event:goal", is_, ("Blog",)),),
            breakdown="visit:source",
        )
    )
    return found


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    zone=st.sampled_from(ZONES),
    early=st.lists(visits(), min_size=1, max_size=10),
    late=st.lists(visits(), max_size=4),
    first_roll=st.integers(0, DAYS * 24),
    range_start=st.integers(0, DAYS - 1),
    range_days=st.integers(1, DAYS + 1),
)
def test_the_event_store_equals_a_raw_recount(event_store, zone, early, late, first_roll, range_start, range_days):
    """The store alone, and rollups with the store counting the rest (what stats.run uses), both."""
    event_store.truncate()
    with transaction.atomic():
        site = SiteFactory(timezone=zone)
        goals_of(site)
        funnel = funnel_create(site=site, name="Read, price, sign up", steps=["Blog", "Pricing", "Signup"])
        pipeline.process_batch(hits_of(site, [e for visit in early for e in visit]))
        rollups.roll_up_site(site, now=START + timedelta(hours=first_roll))
        # Late events extend visits already written: their newest progress must win. Rollups count them
        # once the next run rolls their days again, as in production.
        pipeline.process_batch(hits_of(site, [e for visit in late for e in visit]))
        rollups.roll_up_site(site, now=START + timedelta(hours=first_roll + 30))

        local_start = START.astimezone(ZoneInfo(zone)).date() + timedelta(days=range_start)
        dates = DateRange(local_start, local_start + timedelta(days=range_days - 1), zone)
        store, configured_source = ClickHouseSource(event_store), configured()
        assert isinstance(configured_source, RolledSource)
        assert isinstance(configured_source.rest, ClickHouseSource)
        for query in [*queries(site, dates), *ad_hoc(site, dates)]:
            expected = answers(query, RAW)
            for source in (store, configured_source):
                got = answers(query, source)
                assert got == expected, (source, query.filters, query.breakdown, query.interval, got, expected)
        query = StatsQuery(site_id=site.id, dates=dates, metrics=("visitors",))
        assert stats.run_funnel(query, funnel) == stats.run_funnel(query, funnel, source=RAW)
        now = START + timedelta(days=range_start, minutes=30)
        assert store.realtime_visitors(site.id, now, 60) == RAW.realtime_visitors(site.id, now, 60)
        transaction.set_rollback(True)


def test_stats_count_what_rollups_cannot_answer_from_the_event_store_when_one_is_configured(event_store, settings):
    source = configured()
    assert isinstance(source, RolledSource)
    assert isinstance(source.rest, ClickHouseSource)
    settings.EVENT_STORE = "db"
    assert configured() is ROLLED


@pytest.mark.parametrize(
    ("page_path", "matching", "other"),
    [("/blog/**", "/blog/a/b", "/blogs"), ("/blog/*", "/blog/a", "/blog/a/b"), ("/a.b", "/a.b", "/axb")],
)
def test_page_goal_patterns_are_re2_patterns_ending_the_text(event_store, page_path, matching, other):
    pattern = path_regex(page_path)
    found = event_store.rows(
        "SELECT match({a:String}, {p:String}), match({b:String}, {p:String})", {"a": matching, "b": other, "p": pattern}
    )
    assert found == [(True, False)]


@pytest.mark.parametrize(
    ("pricing_uuid", "reached"),
    [
        # In the uuids' text order: the first half decides, whatever the second.
        ("00000000-0000-4000-bfff-ffffffffffff", [1, 1]),
        ("ffffffff-ffff-4fff-8000-000000000000", [1, 0]),
        ("88888888-8888-4888-8000-000000000000", [1, 1]),
        ("88888888-8888-4888-bfff-ffffffffffff", [1, 0]),
    ],
)
def test_a_funnels_events_of_the_same_moment_are_walked_in_uuid_order_by_every_store(
    event_store, pricing_uuid, reached
):
    site = SiteFactory()
    goals_of(site)
    funnel = funnel_create(site=site, name="Price, sign up", steps=["Pricing", "Signup"])
    moment = START + timedelta(hours=1)
    pricing, signup = hits_of(
        site, [pageview(1, moment) | {"path": "/pricing"}, pageview(1, moment) | {"name": "Signup"}]
    )
    pricing.uuid, signup.uuid = pricing_uuid, "88888888-8888-4888-8888-888888888888"
    pipeline.process_batch([signup, pricing])
    query = StatsQuery(site_id=site.id, dates=DateRange(START.date(), START.date(), "UTC"), metrics=("visitors",))
    for source in (configured(), RAW):
        assert source.funnel_reached(query, query.dates, funnel.goals()) == reached


@pytest.mark.parametrize(
    ("filters", "days", "expected"),
    [
        # Visits alone (their visits, bounces and durations from the visits' rows): both days, then the
        # second day alone, which the visit across midnight enters with one of its page views.
        ((Filter("visit:country", Operator.IS, ("DE",)),), 2, (2, 2, 3, 50, 600)),
        ((Filter("visit:country", Operator.IS, ("DE",)),), 1, (2, 2, 2, 50, 600)),
        # An event's filter besides (each visit's events, joined to the visits' rows).
        (
            (Filter("visit:country", Operator.IS, ("DE",)), Filter("event:page", Operator.IS, ("/",))),
            1,
            (2, 2, 2, 50, 600),
        ),
    ],
)
def test_a_visit_into_the_range_counts_once_with_its_own_bounce_and_duration(event_store, filters, days, expected):
    """A visit that began the day before the range counts with the page views it made in the range, and
    its own bounce and duration, whichever way the store counts it."""
    site = SiteFactory(timezone="UTC")
    midnight = START + timedelta(days=1)
    across = [pageview(1, midnight - timedelta(minutes=10)), pageview(1, midnight + timedelta(minutes=10))]
    pipeline.process_batch(hits_of(site, [*across, pageview(2, midnight + timedelta(hours=12))]))
    first = midnight.date() - timedelta(days=days - 1)
    query = StatsQuery(
        site_id=site.id,
        dates=DateRange(first, midnight.date(), "UTC"),
        metrics=("visitors", "visits", "pageviews", "bounce_rate", "visit_duration"),
        filters=filters,
    )
    for source in (ClickHouseSource(event_store), configured(), RAW):
        values = report.aggregate(query, source=source)
        assert tuple(values[m].value for m in query.metrics) == expected, source


def test_a_range_shorter_than_a_pause_within_a_visit_counts_only_the_visits_with_events_in_it(event_store):
    """Ten minutes at the end of a day, within a visit's twenty-minute pause: the visit overlaps them, yet
    has no event in them, so nothing counts (its row alone would have counted it)."""
    site = SiteFactory(timezone="UTC")
    midnight = START + timedelta(days=1)
    paused = [pageview(1, midnight - timedelta(minutes=15)), pageview(1, midnight + timedelta(minutes=5))]
    # Visits from France in the ten minutes, begun before and after the paused one.
    around = [pageview(2, midnight - timedelta(minutes=20)), pageview(2, midnight - timedelta(minutes=5))]
    after = [pageview(3, midnight - timedelta(minutes=2))]
    pipeline.process_batch(
        hits_of(site, [{**e, "country": "FR"} if e["visitor"] != 1 else e for e in [*paused, *around, *after]])
    )
    query = StatsQuery(
        site_id=site.id,
        dates=DateRange.between(midnight - timedelta(minutes=10), midnight),
        metrics=("visitors", "visits", "pageviews", "bounce_rate"),
        filters=(Filter("visit:country", Operator.IS, ("DE",)),),
    )
    for source in (ClickHouseSource(event_store), RAW):
        assert source.totals(query, query.dates).visitors == 0, source
        assert source.by_value(replace(query, breakdown="visit:source"), query.dates) == {}, source


def test_prop_keys_from_the_store_are_the_raw_events_keys(event_store):
    site, one_day = SiteFactory(), DateRange(T0.date(), T0.date(), "UTC")
    pipeline.process_batch(
        [
            hit(site, 1, 0, "/", name="Signup", props={"plan": "pro", "source": "ad"}),
            hit(site, 2, 60, "/pricing", name="Signup", props={"plan": "free"}),
            hit(site, 3, 120, "/", name="Click", props={"size": "L", "bad\nkey": 1}),
            hit(site, 4, 180, "/"),
        ]
    )
    for filters in ("", "event:page==/pricing", "event:name!=Click", "event:page==/nowhere"):
        query = StatsQuery(site_id=site.id, dates=one_day, filters=parse_filters(filters))
        assert ClickHouseSource(event_store).prop_keys(query, one_day) == RAW.prop_keys(query, one_day)
    everything = StatsQuery(site_id=site.id, dates=one_day)
    assert configured().prop_keys(everything, one_day) == ["plan", "size", "source"]
