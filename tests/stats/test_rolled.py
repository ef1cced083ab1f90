"""Rollups with a raw tail give exactly the numbers of a raw recount, on random data (hypothesis).

Visits are generated as the product records them: a visitor's hash is salted by the UTC day the
visit starts (a visit over midnight keeps it), in sites of several time zones, over days that
cross a month end and a daylight-saving change. Rollups run at a random moment, late events
arrive, and rollups run again, as in production.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stats import dimensions, raw, rolled
from stats.dimensions import BY_NAME as PROPERTIES
from stats.query import DateRange, Filter, Operator, StatsQuery
from stats.sources import RAW, ROLLED
from tests.factories import SiteFactory
from tests.stats import answers as report
from tracker import pipeline, rollups
from tracker.ingest.hits import Hit

pytestmark = pytest.mark.django_db(transaction=False)

START = datetime(2026, 10, 29, tzinfo=UTC)  # a month end, and New York leaves DST on 1 November
DAYS = 6
ZONES = ["UTC", "America/New_York", "Pacific/Kiritimati", "Asia/Kolkata", "Pacific/Honolulu"]
PAGES = ["/", "/blog/a", "/blog/b", "/pricing"]
REFERRERS = ["", "https://www.google.com/", "https://news.ycombinator.com/item", "https://t.co/x"]
METRICS = tuple(m for m in ("visitors", "visits", "pageviews", "bounce_rate", "visit_duration", "events"))


@st.composite
def visits(draw) -> list[dict]:
    """One visit: a visitor, a start, and a few events minutes apart."""
    visitor = draw(st.integers(1, 12))
    start = START + timedelta(minutes=draw(st.integers(0, DAYS * 24 * 60 - 1)))
    referrer = draw(st.sampled_from(REFERRERS))
    country = draw(st.sampled_from(["DE", "FR", "US"]))
    events = []
    moment = start
    for _ in range(draw(st.integers(1, 4))):
        moment += timedelta(seconds=draw(st.integers(0, 25 * 60)))
        kind = draw(st.sampled_from(["pageview", "pageview", "engagement", "Signup"]))
        events.append(
            {
                "name": kind,
                "at": moment,
                "path": draw(st.sampled_from(PAGES)),
                "engaged_ms": draw(st.integers(0, 20_000)) if kind == "engagement" else None,
                "scroll_depth": draw(st.integers(0, 100)) if kind == "engagement" else None,
                "props": {"plan": draw(st.sampled_from(["free", "pro"]))} if kind == "Signup" else {},
            }
        )
    return [{"visitor": visitor, "start": start, "referrer": referrer, "country": country, **e} for e in events]


def pageview(visitor: int, at: datetime) -> dict:
    """A direct page view of / from Germany, in the shape visits() draws."""
    return {
        "visitor": visitor,
        "start": START,
        "referrer": "",
        "country": "DE",
        "name": "pageview",
        "at": at,
        "path": "/",
        "engaged_ms": None,
        "scroll_depth": None,
        "props": {},
    }


def salted(visitor: int, moment: datetime) -> int:
    """The visitor's hash on the UTC day of `moment`, as daily salts make it."""
    return visitor * 10_000 + (moment - START).days


def hits_of(site, events: list[dict]) -> list[Hit]:
    return [
        Hit(
            uuid=str(uuid.uuid4()),
            site_id=site.id,
            name=e["name"],
            timestamp=e["at"],
            raw_url=f"https://{site.domain}{e['path']}",
            raw_referrer=e["referrer"],
            props=e["props"],
            engaged_ms=e["engaged_ms"],
            scroll_depth=e["scroll_depth"],
            country=e["country"],
            visitor_hash=salted(e["visitor"], e["at"]),
            prev_visitor_hash=salted(e["visitor"], e["at"] - timedelta(days=1)),
        )
        for e in events
    ]


def queries(site, dates: DateRange) -> list[StatsQuery]:
    """Every kind of query the rollups answer: totals, one value of each property, each breakdown,
    and the breakdowns of one page that an article's page shows."""
    base = StatsQuery(site_id=site.id, dates=dates, metrics=METRICS)
    found = [("event:page", p) for p in PAGES] + [
        ("visit:source", "Google"),
        ("visit:country", "DE"),
        ("visit:entry_page", "/blog/a"),
        ("visit:exit_page", "/"),
        ("event:name", "Signup"),
        ("event:props:plan", "pro"),
    ]
    filtered = [
        StatsQuery(site_id=site.id, dates=dates, metrics=METRICS, filters=(Filter(name, Operator.IS, (value,)),))
        for name, value in found
    ]
    breakdowns = [
        StatsQuery(site_id=site.id, dates=dates, metrics=METRICS, breakdown=name)
        for name in [*PROPERTIES, "event:props:plan"]
    ]
    within_pages = [
        StatsQuery(
            site_id=site.id,
            dates=dates,
            metrics=METRICS,
            filters=(Filter("event:page", Operator.IS, (page,)),),
            breakdown=name,
        )
        for page in PAGES[:2]
        for name in dimensions.WITHIN_PAGES
    ]
    intervals = [
        StatsQuery(site_id=site.id, dates=dates, metrics=METRICS, interval=interval, filters=q.filters)
        for interval in ("day", "week", "month")
        for q in (base, filtered[1])
    ]
    hourly = StatsQuery(site_id=site.id, dates=dates, metrics=METRICS, interval="hour")
    return [base, *filtered, *breakdowns, *within_pages, *intervals, hourly]


def answers(query: StatsQuery, source) -> object:
    if query.breakdown:
        return report.breakdown(query, limit=1000, source=source)
    return report.timeseries(query, source=source), report.aggregate(query, source=source)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    zone=st.sampled_from(ZONES),
    early=st.lists(visits(), min_size=1, max_size=12),
    late=st.lists(visits(), max_size=5),
    first_roll=st.integers(0, DAYS * 24),
    range_start=st.integers(0, DAYS - 1),
    range_days=st.integers(1, DAYS + 1),
    # Low enough that some pages have rows of their own on some days and not on others.
    page_min_events=st.integers(1, 3),
    # A range may end within its last day, as a period in progress compared with the same span before.
    cut_hours=st.sampled_from([0, 0, 1, 7, 20]),
)
def test_rollups_equal_a_raw_recount(
    zone, early, late, first_roll, range_start, range_days, page_min_events, cut_hours
):
    with transaction.atomic(), mock.patch.object(dimensions, "PAGE_ROLLUP_MIN_EVENTS", page_min_events):
        site = SiteFactory(timezone=zone)
        pipeline.process_batch(hits_of(site, [e for visit in early for e in visit]))
        rollups.roll_up_site(site, now=START + timedelta(hours=first_roll))
        # Late events: server-side events up to days old, visits extended after their day was rolled up.
        pipeline.process_batch(hits_of(site, [e for visit in late for e in visit]))
        rollups.roll_up_site(site, now=START + timedelta(hours=first_roll + 30))

        local_start = START.astimezone(ZoneInfo(zone)).date() + timedelta(days=range_start)
        dates = DateRange(local_start, local_start + timedelta(days=range_days - 1), zone)
        if cut_hours:
            start, end = dates.utc_bounds()
            dates = DateRange.between(start, end - timedelta(hours=cut_hours), zone)
        for query in queries(site, dates):
            assert answers(query, ROLLED) == answers(query, RAW), query
        transaction.set_rollback(True)


def test_a_month_of_rollups_is_read_from_month_rows(django_assert_max_num_queries):
    site = SiteFactory()
    events: list[dict] = [
        pageview(1 + day % 3, datetime(2026, 11, 1, 12, tzinfo=UTC) + timedelta(days=day)) for day in range(30)
    ]
    pipeline.process_batch(hits_of(site, events))
    rollups.roll_up_site(site, now=datetime(2026, 12, 2, tzinfo=UTC))
    november = DateRange(date(2026, 11, 1), date(2026, 11, 30), "UTC")
    query = StatsQuery(site_id=site.id, dates=november, metrics=METRICS, breakdown="visit:country")
    with django_assert_max_num_queries(3):
        rows = report.breakdown(query)
    assert rows == report.breakdown(query, source=RAW)
    assert rows[0]["visitors"] == 30  # a new hash every day


@pytest.fixture
def page_min_events(monkeypatch):
    """Rows within a page from its first event of a day on, unless a test sets a higher bar."""
    monkeypatch.setattr(dimensions, "PAGE_ROLLUP_MIN_EVENTS", 1)
    return lambda n: monkeypatch.setattr(dimensions, "PAGE_ROLLUP_MIN_EVENTS", n)


def test_an_articles_breakdown_is_read_from_rollups_within_its_page(django_assert_max_num_queries, page_min_events):
    site = SiteFactory()
    events = [pageview(day % 4, datetime(2026, 11, 1, 12, tzinfo=UTC) + timedelta(days=day)) for day in range(10)]
    events += [{**pageview(9, datetime(2026, 11, 3, 9, tzinfo=UTC)), "path": "/blog/a", "country": "FR"}]
    pipeline.process_batch(hits_of(site, events))
    rollups.roll_up_site(site, now=datetime(2026, 11, 12, tzinfo=UTC))
    article = (Filter("event:page", Operator.IS, ("/blog/a",)),)
    dates = DateRange(date(2026, 11, 1), date(2026, 11, 10), "UTC")
    query = StatsQuery(site_id=site.id, dates=dates, metrics=METRICS, filters=article, breakdown="visit:country")
    with django_assert_max_num_queries(4):
        rows = report.breakdown(query)
    assert rows == report.breakdown(query, source=RAW)
    assert [(row["country"], row["visitors"]) for row in rows] == [("FR", 1)]
    # Another property with a page filter has no rows within pages: counted from raw events.
    other = StatsQuery(site_id=site.id, dates=dates, metrics=METRICS, filters=article, breakdown="visit:os")
    assert rolled._group(other, breakdown=True) is None


def test_a_pages_breakdown_over_a_day_of_few_of_its_events_is_counted_from_raw_events(
    django_assert_max_num_queries, page_min_events
):
    from tracker.models import Rollup

    page_min_events(2)
    site = SiteFactory()
    at = [datetime(2026, 11, day, hour, tzinfo=UTC) for day, hour in ((3, 9), (3, 15), (5, 9))]
    events = [{**pageview(n, moment), "path": "/blog/a"} for n, moment in enumerate(at)]
    pipeline.process_batch(hits_of(site, events))
    rollups.roll_up_site(site, now=datetime(2026, 11, 7, tzinfo=UTC))
    within = dimensions.page_dimension("visit:country", "/blog/a")
    assert set(Rollup.objects.filter(site_id=site.id, dimension=within).values_list("period", "day")) == {
        ("day", date(2026, 11, 3)),  # two events: rows of its own; the 5th's one event has none
        ("month", date(2026, 11, 1)),
    }
    article = (Filter("event:page", Operator.IS, ("/blog/a",)),)
    both = StatsQuery(
        site_id=site.id,
        dates=DateRange(date(2026, 11, 1), date(2026, 11, 6), "UTC"),
        metrics=METRICS,
        filters=article,
        breakdown="visit:country",
    )
    assert report.breakdown(both) == report.breakdown(both, source=RAW)
    assert report.breakdown(both)[0]["visitors"] == 3
    third = StatsQuery(**{**both.__dict__, "dates": DateRange(date(2026, 11, 3), date(2026, 11, 4), "UTC")})
    expected = report.breakdown(third, source=RAW)
    with django_assert_max_num_queries(4):
        assert report.breakdown(third) == expected


def test_a_pages_breakdown_over_days_waiting_to_be_rolled_again_is_counted_from_raw_events(
    django_assert_max_num_queries, page_min_events
):
    """As after the upgrade that added rows within pages: days rolled before lack them until rolled again."""
    from tracker.models import Rollup, RollupDirty

    site = SiteFactory()
    events = [{**pageview(day, datetime(2026, 11, day, 12, tzinfo=UTC)), "path": "/blog/a"} for day in (2, 3)]
    pipeline.process_batch(hits_of(site, events))
    rollups.roll_up_site(site, now=datetime(2026, 11, 5, tzinfo=UTC))
    Rollup.objects.filter(site_id=site.id, dimension__contains="@").delete()
    RollupDirty.objects.bulk_create([RollupDirty(site_id=site.id, day=date(2026, 11, day)) for day in (2, 3)])
    article = (Filter("event:page", Operator.IS, ("/blog/a",)),)
    dates = DateRange(date(2026, 11, 1), date(2026, 11, 4), "UTC")
    query = StatsQuery(site_id=site.id, dates=dates, metrics=METRICS, filters=article, breakdown="visit:country")
    expected = report.breakdown(query, source=RAW)
    assert expected[0]["visitors"] == 2
    assert report.breakdown(query) == expected
    rollups.roll_up_site(site, now=datetime(2026, 11, 5, 1, tzinfo=UTC))
    with django_assert_max_num_queries(4):
        assert report.breakdown(query) == expected


def test_sites_with_long_lived_visitor_ids_are_counted_from_raw_events():
    site = SiteFactory()
    # One visitor id on the 2nd and the 4th, as a monthly µAnalytics token can be.
    events: list[dict] = [pageview(1, datetime(2026, 11, day, 12, tzinfo=UTC)) for day in (2, 4)]
    hits = hits_of(site, events)
    for hit in hits:
        hit.visitor_hash, hit.prev_visitor_hash = 7, None
    pipeline.process_batch(hits)
    rollups.roll_up_site(site, now=datetime(2026, 11, 10, tzinfo=UTC))
    week = StatsQuery(site_id=site.id, dates=DateRange(date(2026, 11, 1), date(2026, 11, 7), "UTC"))
    assert ROLLED.totals(week, week.dates).visitors == 2  # rollups assume ids that live a day
    site.long_lived_visitor_ids = True
    site.save()
    assert ROLLED.totals(week, week.dates).visitors == raw.totals(week, week.dates).visitors == 1


def test_month_rows_waiting_to_be_summed_again_are_not_read():
    """As after a crash between rolling a day and summing its month: the day rows are the truth."""
    from tracker.models import Rollup, RollupDirty

    site = SiteFactory()
    events: list[dict] = [pageview(day, datetime(2026, 11, day, 12, tzinfo=UTC)) for day in range(1, 11)]
    pipeline.process_batch(hits_of(site, events))
    rollups.roll_up_site(site, now=datetime(2026, 11, 11, 1, tzinfo=UTC))
    so_far = StatsQuery(site_id=site.id, dates=DateRange(date(2026, 11, 1), date(2026, 11, 10), "UTC"))
    assert ROLLED.totals(so_far, so_far.dates).visitors == 10  # the month's row, filled up to the 10th
    Rollup.objects.filter(site_id=site.id, period="month").update(visitors=999)
    assert ROLLED.totals(so_far, so_far.dates).visitors == 999  # (it is the month row that is read)
    RollupDirty.objects.create(site_id=site.id, period="month", day=date(2026, 11, 1))
    assert ROLLED.totals(so_far, so_far.dates).visitors == 10
    rollups.roll_up_site(site, now=datetime(2026, 11, 11, 2, tzinfo=UTC))  # the next run sums it again
    assert not RollupDirty.objects.filter(site_id=site.id).exists()
    assert Rollup.objects.get(site_id=site.id, period="month", dimension="").visitors == 10
