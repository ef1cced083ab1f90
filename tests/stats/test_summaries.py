"""The site list's numbers for many sites at once equal stats.run's for each site, in a fixed number of
queries however many sites there are."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

import stats
from sites.models import Site
from stats import DateRange, Kind, StatsQuery, build_query
from stats.summaries import SiteSummary, site_summaries
from tests.factories import SiteFactory
from tracker import pipeline, rollups
from tracker.ingest.hits import Hit

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)
START = NOW - timedelta(days=34)


def salted(visitor: int, moment: datetime) -> int:
    """The visitor's hash on the UTC day of `moment`, as daily salts make it."""
    return visitor * 10_000 + (moment - START).days


def visit(site: Site, visitor: int, at: datetime) -> Hit:
    return Hit(
        uuid=str(uuid.uuid4()),
        site_id=site.id,
        name="pageview",
        timestamp=at,
        raw_url=f"https://{site.domain}/",
        visitor_hash=salted(visitor, at),
        prev_visitor_hash=salted(visitor, at - timedelta(days=1)),
    )


def traffic(site: Site) -> list[Hit]:
    """Visitors on most of 35 days, some returning on the next day, a few in the last hours."""
    hits = []
    for day in range(35):
        at = START + timedelta(days=day, hours=(day * 7) % 24)
        hits += [visit(site, visitor, at) for visitor in range(day % 4 + 1)]
        hits.append(visit(site, 100 + day % 3, at + timedelta(hours=13)))  # across midnight, for some zones
    hits += [visit(site, 7, NOW - timedelta(minutes=m)) for m in (5, 50, 200)]
    return hits


def reference(site: Site) -> SiteSummary:
    """What the site list showed before: stats.run per site."""
    day = StatsQuery(site_id=site.id, dates=DateRange.between(NOW - timedelta(days=1), NOW, site.timezone))
    month = build_query(site_id=site.id, timezone=site.timezone, params={"period": "30d", "interval": "day"}, now=NOW)
    series = stats.run(replace(month, kind=Kind.TIMESERIES)).rows
    return SiteSummary(
        last_day=int(stats.run(day).values["visitors"].value or 0),
        last_month=int(stats.run(month).values["visitors"].value or 0),
        days=[int(values["visitors"] or 0) for _, values in series],
    )


@pytest.fixture
def sites() -> list[Site]:
    """Sites in several zones: rolled up to yesterday, rolled up days ago, never rolled up, with long-lived
    visitor ids, and one without events."""
    rolled = SiteFactory(domain="rolled.example", timezone="Europe/Berlin")
    lagging = SiteFactory(domain="lagging.example", timezone="Pacific/Honolulu")
    unrolled = SiteFactory(domain="unrolled.example", timezone="Asia/Kolkata")
    long_lived = SiteFactory(domain="long.example", timezone="UTC", long_lived_visitor_ids=True)
    empty = SiteFactory(domain="empty.example", timezone="America/New_York")
    for site in (rolled, lagging, unrolled, long_lived):
        pipeline.process_batch(traffic(site))
    rollups.roll_up_site(rolled, now=NOW)
    rollups.roll_up_site(lagging, now=NOW - timedelta(days=6))
    rollups.roll_up_site(long_lived, now=NOW)
    return [rolled, lagging, unrolled, long_lived, empty]


def test_each_sites_summary_equals_stats_run(sites):
    summaries = site_summaries(sites, NOW)
    for site in sites:
        assert summaries[site.id] == reference(site), site.domain
    assert summaries[sites[0].id].last_month > 0
    assert summaries[sites[-1].id] == SiteSummary(last_day=0, last_month=0, days=[0] * 30)


def test_the_queries_do_not_grow_with_the_sites(sites, django_assert_num_queries):
    with django_assert_num_queries(5):
        site_summaries(sites[:1], NOW)
    with django_assert_num_queries(5):
        site_summaries(sites, NOW)


def test_no_sites_need_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert site_summaries([], NOW) == {}
