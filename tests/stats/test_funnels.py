"""Funnels counted by hand: steps in order within one visit, other events between them, steps out of
order, repeated steps, two visits that each do half, a visit across midnight, a site's time zone,
filters and comparison; from raw events and from rollups."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stats
from sites.goals import funnel_create, goal_create
from stats.funnels import Step
from stats.query import DateRange, StatsQuery, parse_filters
from stats.sources import RAW, ROLLED
from tests.factories import SiteFactory
from tests.known_site import hit
from tracker import pipeline, rollups

pytestmark = pytest.mark.django_db

DAY = DateRange(date(2026, 11, 20), date(2026, 11, 20), "UTC")
MINUTE, HOUR = 60, 3600


@pytest.fixture
def shop(db):
    """funnels.example, 2026-11-20 (UTC, from 10:00); the funnel is /pricing, then /signup, then Signup."""
    site = SiteFactory(domain="funnels.example")
    pipeline.process_batch(
        [
            # 1: all three steps.
            hit(site, 1, 0, "/pricing"),
            hit(site, 1, MINUTE, "/signup"),
            hit(site, 1, 2 * MINUTE, "/signup", name="Signup"),
            # 2: other pages between the first two steps, no sign-up.
            hit(site, 2, 0, "/pricing"),
            hit(site, 2, MINUTE, "/about"),
            hit(site, 2, 2 * MINUTE, "/signup"),
            # 3: /signup before /pricing: only the first step.
            hit(site, 3, 0, "/signup"),
            hit(site, 3, MINUTE, "/pricing"),
            # 4: from Google; steps repeated and out of place, all three in the end.
            hit(site, 4, 0, "/pricing", raw_referrer="https://www.google.com/"),
            hit(site, 4, MINUTE, "/pricing"),
            hit(site, 4, 2 * MINUTE, "/signup"),
            hit(site, 4, 3 * MINUTE, "/pricing"),
            hit(site, 4, 4 * MINUTE, "/signup", name="Signup"),
            # 5: signs up without the pages; 6: reads the blog.
            hit(site, 5, 0, "/signup", name="Signup"),
            hit(site, 6, 0, "/blog/a"),
            # 7: /pricing in one visit, /signup and Signup in another three hours later.
            hit(site, 7, 0, "/pricing"),
            hit(site, 7, 3 * HOUR, "/signup"),
            hit(site, 7, 3 * HOUR + MINUTE, "/signup", name="Signup"),
            # 8: one visit across midnight: /pricing at 23:50, the rest after 00:00.
            hit(site, 8, 13 * HOUR + 50 * MINUTE, "/pricing"),
            hit(site, 8, 14 * HOUR + 5 * MINUTE, "/signup"),
            hit(site, 8, 14 * HOUR + 6 * MINUTE, "/signup", name="Signup"),
            # 9, the day before: the first two steps.
            hit(site, 9, -20 * HOUR, "/pricing"),
            hit(site, 9, -20 * HOUR + MINUTE, "/signup"),
        ]
    )
    for path in ("/pricing", "/signup", "/blog/**"):
        goal_create(site=site, goal_type="page", page_path=path)
    goal_create(site=site, goal_type="event", event_name="Signup")
    funnel_create(site=site, name="Sign-ups", steps=["Visit /pricing", "Visit /signup", "Signup"])
    return site


@pytest.fixture(params=["raw", "rolled"])
def source(request, shop):
    if request.param == "raw":
        return RAW
    rollups.roll_up_site(shop, now=datetime(2026, 11, 23, tzinfo=UTC))
    return ROLLED


def count(site, source, dates=DAY, filters="", comparison=None) -> stats.FunnelResult:
    query = StatsQuery(site_id=site.id, dates=dates, filters=parse_filters(filters), comparison=comparison)
    return stats.run_funnel(query, site.funnels.get(name="Sign-ups"), source=source)


def reached(counts) -> list[int]:
    return [step.visitors for step in counts.steps]


def test_a_day(shop, source):
    counts = count(shop, source).counts
    # Step 1: 1, 2, 3, 4, 7 and 8 (its /pricing falls on the day); step 2: 1, 2, 4; step 3: 1, 4.
    assert (counts.all_visitors, counts.entering_visitors) == (8, 6)
    assert counts.steps == [
        Step("Visit /pricing", 6, 100.0, 100.0, 0, 0.0),
        Step("Visit /signup", 3, 50.0, 50.0, 3, 50.0),
        Step("Signup", 2, 33.3, 66.7, 1, 33.3),
    ]


def test_a_visit_across_midnight_counts_whole_when_both_days_are_asked(shop, source):
    two_days = DateRange(date(2026, 11, 20), date(2026, 11, 21), "UTC")
    assert reached(count(shop, source, dates=two_days).counts) == [6, 4, 3]


def test_filters_choose_the_visits(shop, source):
    counts = count(shop, source, filters="visit:source==Google").counts
    assert (counts.all_visitors, reached(counts)) == (1, [1, 1, 1])


def test_comparison(shop, source):
    result = count(shop, source, comparison=DateRange(date(2026, 11, 19), date(2026, 11, 19), "UTC"))
    assert reached(result.counts) == [6, 3, 2]
    assert result.comparison is not None
    assert (result.comparison.all_visitors, reached(result.comparison)) == (1, [1, 1, 0])
    assert result.comparison.steps[2] == Step("Signup", 0, 0.0, 0.0, 1, 100.0)


def test_a_funnel_nobody_entered(shop, source):
    counts = count(shop, source, dates=DateRange(date(2026, 10, 1), date(2026, 10, 1), "UTC")).counts
    assert counts.all_visitors == 0
    assert counts.steps == [
        Step("Visit /pricing", 0, 0.0, 0.0, 0, 0.0),
        Step("Visit /signup", 0, 0.0, 0.0, 0, 0.0),
        Step("Signup", 0, 0.0, 0.0, 0, 0.0),
    ]


def test_days_are_the_sites(db):
    site = SiteFactory(domain="tokyo.example", timezone="Asia/Tokyo")
    # 14:50 UTC is 23:50 in Tokyo; 15:05 UTC is already the next day there.
    pipeline.process_batch([hit(site, 1, 4 * HOUR + 50 * MINUTE, "/a"), hit(site, 1, 5 * HOUR + 5 * MINUTE, "/b")])
    goal_create(site=site, goal_type="page", page_path="/a")
    goal_create(site=site, goal_type="page", page_path="/b")
    funnel = funnel_create(site=site, name="a to b", steps=["Visit /a", "Visit /b"])
    on = {day: DateRange(date(2026, 11, day), date(2026, 11, day), "Asia/Tokyo") for day in (20, 21)}
    both = DateRange(date(2026, 11, 20), date(2026, 11, 21), "Asia/Tokyo")
    assert reached(stats.run_funnel(StatsQuery(site_id=site.id, dates=on[20]), funnel).counts) == [1, 0]
    assert reached(stats.run_funnel(StatsQuery(site_id=site.id, dates=on[21]), funnel).counts) == [0, 0]
    assert reached(stats.run_funnel(StatsQuery(site_id=site.id, dates=both), funnel).counts) == [1, 1]


# Each visitor's visits (each a list of pages), three hours apart so each is a visit of its own.
VISITS = st.lists(
    st.lists(st.lists(st.sampled_from(["/a", "/b", "/c", "/x"]), max_size=6), min_size=1, max_size=3),
    min_size=1,
    max_size=6,
)


def _reached(pages: list[str], steps: list[str]) -> int:
    reached = 0
    for page in pages:
        if reached < len(steps) and page == steps[reached]:
            reached += 1
    return reached


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    visitors=VISITS, steps=st.permutations(["/a", "/b", "/c"]).map(lambda p: list(p[:2]) if p[0] == "/c" else list(p))
)
def test_a_funnel_counts_what_a_recount_of_the_visits_gives(db, visitors, steps):
    site = SiteFactory()
    hits = [
        hit(site, visitor, visit * 3 * HOUR + n * MINUTE, page)
        for visitor, visits in enumerate(visitors, start=1)
        for visit, pages in enumerate(visits)
        for n, page in enumerate(pages)
    ]
    pipeline.process_batch(hits)
    for path in ("/a", "/b", "/c"):
        goal_create(site=site, goal_type="page", page_path=path)
    funnel = funnel_create(site=site, name="f", steps=[f"Visit {path}" for path in steps])
    best = [max(_reached(pages, steps) for pages in visits) for visits in visitors]
    expected = [sum(1 for most in best if most > n) for n in range(len(steps))]
    whole_day = DateRange(date(2026, 11, 20), date(2026, 11, 21), "UTC")
    assert reached(stats.run_funnel(StatsQuery(site_id=site.id, dates=whole_day), funnel).counts) == expected
