"""Rollups: fill state and resuming, idempotency, late events, local days, month rows, the command."""

from __future__ import annotations

import importlib
import uuid
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from stats import dimensions
from tests.factories import SiteFactory
from tracker import pipeline, rollups
from tracker.ingest.hits import Hit
from tracker.models import Rollup, RollupDirty, RollupState

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 20, 12, tzinfo=UTC)


def hit(site, visitor: int, at: datetime, path: str = "/", name: str = "pageview", **fields) -> Hit:
    return Hit(
        uuid=fields.pop("uuid", None) or str(uuid.uuid4()),
        site_id=site.id,
        name=name,
        timestamp=at,
        raw_url=f"https://{site.domain}{path}",
        visitor_hash=visitor,
        **fields,
    )


def rows(site, **filters) -> dict:
    """The site's rollup rows as {(period, day, hour, dimension, value): (visitors, visits, pageviews)}."""
    found = Rollup.objects.filter(site=site, **filters)
    return {
        (r.period, r.day, r.hour, r.dimension, r.value): (r.visitors, r.visits, r.pageviews, r.visitors_carried)
        for r in found
    }


def site_day(site, day: date) -> tuple:
    return rows(site, period="day", day=day, dimension="")[("day", day, 0, "", "")]


@pytest.fixture
def site(db):
    site = SiteFactory(domain="roll.example")
    pipeline.process_batch(
        [
            hit(site, 1, NOON, "/a", raw_referrer="https://www.google.com/"),
            hit(site, 1, NOON + timedelta(minutes=1), "/b"),
            hit(site, 2, NOON + timedelta(hours=3), "/a", props={"plan": "pro", "seats": 3}),
            hit(site, 1, NOON - timedelta(days=1), "/a"),
        ]
    )
    return site


def test_first_run_rolls_every_completed_day_and_sets_the_fill_state(site):
    result = rollups.roll_up_site(site, now=datetime(2026, 11, 21, 1, tzinfo=UTC))
    assert (result.days, result.events) == (2, 4)
    assert RollupState.objects.get(site=site).rolled_until == date(2026, 11, 21)
    # Visitor 1 (the same hash in these tests) was there on the 19th too: carried over.
    assert site_day(site, date(2026, 11, 20)) == (2, 2, 3, 1)
    assert site_day(site, date(2026, 11, 19)) == (1, 1, 1, 0)
    day = rows(site, period="day", day=date(2026, 11, 20))
    assert day[("day", date(2026, 11, 20), 0, "event:page", "/a")] == (2, 2, 2, 1)
    assert day[("day", date(2026, 11, 20), 0, "visit:source", "Google")] == (1, 1, 2, 0)
    assert day[("day", date(2026, 11, 20), 0, "visit:entry_page", "/a")] == (2, 2, 3, 1)
    assert day[("day", date(2026, 11, 20), 0, "visit:exit_page", "/b")] == (1, 1, 2, 0)
    assert day[("day", date(2026, 11, 20), 0, "event:props:seats", "3")] == (1, 1, 1, 0)
    hours = rows(site, period="hour", day=date(2026, 11, 20))
    assert set(hours) == {("hour", date(2026, 11, 20), 12, "", ""), ("hour", date(2026, 11, 20), 15, "", "")}
    assert not RollupDirty.objects.exists()


def test_an_articles_breakdowns_are_rolled_up_within_its_page(site, monkeypatch):
    monkeypatch.setattr(dimensions, "PAGE_ROLLUP_MIN_EVENTS", 1)
    rollups.roll_up_site(site, now=datetime(2026, 11, 21, 1, tzinfo=UTC))
    day = date(2026, 11, 20)
    within = {page: dimensions.page_dimension("visit:source", page) for page in ("/a", "/b")}
    assert rows(site, period="day", day=day, dimension__in=within.values()) == {
        ("day", day, 0, within["/a"], "Google"): (1, 1, 1, 0),
        ("day", day, 0, within["/a"], ""): (1, 1, 1, 0),  # visitor 2, direct
        ("day", day, 0, within["/b"], "Google"): (1, 1, 1, 0),
    }
    # The 19th's direct reader of /a was visitor 1, the 20th's visitor 2: nothing carried over.
    assert rows(site, period="day", day=day - timedelta(days=1), dimension=within["/a"]) == {
        ("day", day - timedelta(days=1), 0, within["/a"], ""): (1, 1, 1, 0),
    }
    assert not Rollup.objects.filter(dimension__startswith="visit:os@").exists()  # only PAGE_DIMENSIONS


def test_pages_of_few_events_in_a_day_get_no_rows_within_them(site, monkeypatch):
    monkeypatch.setattr(dimensions, "PAGE_ROLLUP_MIN_EVENTS", 2)  # /a has 2 events on the 20th, /b one
    rollups.roll_up_site(site, now=datetime(2026, 11, 21, 1, tzinfo=UTC))
    within = {page: dimensions.page_dimension("event:name", page) for page in ("/a", "/b")}
    assert set(rows(site, period="day", dimension__in=within.values())) == {
        ("day", date(2026, 11, 20), 0, within["/a"], "pageview"),
    }


def test_the_upgrade_to_rows_within_pages_marks_every_rolled_day_dirty(site):
    from django.apps import apps

    migration = importlib.import_module("tracker.migrations.0008_roll_up_within_pages")
    rollups.roll_up_site(site, now=datetime(2026, 11, 23, 1, tzinfo=UTC))
    migration.mark_rolled_days_dirty(apps, None)
    dirty = set(RollupDirty.objects.filter(site=site).values_list("period", "day"))
    assert dirty == {("day", date(2026, 11, day)) for day in (19, 20, 21, 22)}
    rollups.roll_up_site(site, now=datetime(2026, 11, 23, 2, tzinfo=UTC))
    assert not RollupDirty.objects.exists()


def test_a_second_run_is_a_no_op(site):
    at = datetime(2026, 11, 21, 1, tzinfo=UTC)
    rollups.roll_up_site(site, now=at)
    before = rows(site)
    assert rollups.roll_up_site(site, now=at).days == 0
    assert rollups.roll_up_site(site, now=at + timedelta(minutes=30)).days == 0
    assert rows(site) == before


def test_the_current_day_waits_until_it_is_over(site):
    rollups.roll_up_site(site, now=datetime(2026, 11, 20, 23, tzinfo=UTC))
    assert RollupState.objects.get(site=site).rolled_until == date(2026, 11, 20)
    assert not rows(site, day=date(2026, 11, 20))
    # A few minutes' grace after midnight for events still in the buffer.
    rollups.roll_up_site(site, now=datetime(2026, 11, 21, 0, 2, tzinfo=UTC))
    assert RollupState.objects.get(site=site).rolled_until == date(2026, 11, 20)
    rollups.roll_up_site(site, now=datetime(2026, 11, 21, 0, 10, tzinfo=UTC))
    assert site_day(site, date(2026, 11, 20)) == (2, 2, 3, 1)


def test_resumes_from_the_fill_state(site):
    rollups.roll_up_site(site, now=datetime(2026, 11, 20, 1, tzinfo=UTC))
    assert set(RollupDirty.objects.values_list("day", flat=True)) == set()
    pipeline.process_batch([hit(site, 3, datetime(2026, 11, 21, 9, tzinfo=UTC))])
    result = rollups.roll_up_site(site, now=datetime(2026, 11, 22, 1, tzinfo=UTC))
    assert result.days == 2  # the 20th and 21st, not the 19th again
    assert site_day(site, date(2026, 11, 21)) == (1, 1, 1, 0)


def test_late_events_mark_their_day_dirty_and_are_folded_in(site):
    rollups.roll_up_site(site, now=datetime(2026, 11, 21, 1, tzinfo=UTC))
    pipeline.process_batch([hit(site, 9, NOON + timedelta(hours=5), "/late")])  # e.g. the server API, backdated
    assert set(RollupDirty.objects.values_list("day", flat=True)) == {date(2026, 11, 20)}
    result = rollups.roll_up_site(site, now=datetime(2026, 11, 21, 2, tzinfo=UTC))
    assert result.days == 1  # the 21st is not complete yet, so it has no carried counts to fix
    assert site_day(site, date(2026, 11, 20)) == (3, 3, 4, 1)


def test_a_replayed_batch_changes_nothing(site):
    rollups.roll_up_site(site, now=datetime(2026, 11, 21, 1, tzinfo=UTC))
    before = rows(site)
    replay = hit(site, 1, NOON, "/a", uuid=str(uuid.uuid4()))
    pipeline.process_batch([replay])
    pipeline.process_batch([replay])
    rollups.roll_up_site(site, now=datetime(2026, 11, 21, 2, tzinfo=UTC))
    after = rows(site)
    assert after[("day", date(2026, 11, 20), 0, "", "")] == (2, 2, 4, 1)  # one more pageview, not two
    assert len(after) == len(before)


def test_a_visit_over_midnight_is_carried_into_the_next_day(site):
    late_evening = datetime(2026, 11, 20, 23, 50, tzinfo=UTC)
    pipeline.process_batch([hit(site, 5, late_evening, "/a"), hit(site, 5, late_evening + timedelta(minutes=20), "/a")])
    rollups.roll_up_site(site, now=datetime(2026, 11, 22, 1, tzinfo=UTC))
    assert site_day(site, date(2026, 11, 21)) == (1, 1, 1, 1)  # visitor 5 was counted on the 20th already
    page = rows(site, period="day", day=date(2026, 11, 21), dimension="event:page")
    assert page[("day", date(2026, 11, 21), 0, "event:page", "/a")] == (1, 1, 1, 1)


def test_days_and_hours_are_the_sites_local_ones(db):
    site = SiteFactory(timezone="Pacific/Kiritimati")  # UTC+14
    pipeline.process_batch([hit(site, 1, datetime(2026, 11, 20, 9, 30, tzinfo=UTC))])  # 23:30 local on the 20th
    pipeline.process_batch([hit(site, 2, datetime(2026, 11, 20, 10, 30, tzinfo=UTC))])  # 00:30 local on the 21st
    rollups.roll_up_site(site, now=datetime(2026, 11, 22, 12, tzinfo=UTC))
    assert site_day(site, date(2026, 11, 20)) == (1, 1, 1, 0)
    assert site_day(site, date(2026, 11, 21)) == (1, 1, 1, 0)
    assert set(rows(site, period="hour")) == {
        ("hour", date(2026, 11, 20), 23, "", ""),
        ("hour", date(2026, 11, 21), 0, "", ""),
    }


def test_month_rows_hold_distinct_counts_over_the_month(site):
    pipeline.process_batch([hit(site, 1, datetime(2026, 11, 20, 23, 55, tzinfo=UTC))])
    pipeline.process_batch([hit(site, 1, datetime(2026, 11, 21, 0, 10, tzinfo=UTC))])  # same visit, next day
    rollups.roll_up_site(site, now=datetime(2026, 12, 1, 1, tzinfo=UTC))
    month = rows(site, period="month", dimension="")
    # Visitor 1 (one hash here) on the 19th, 20th and 21st with three visits; visitor 2 on the 20th.
    assert month == {("month", date(2026, 11, 1), 0, "", ""): (2, 4, 6, 0)}


def test_only_rolled_days_are_marked_dirty(site):
    rollups.roll_up_site(site, now=datetime(2026, 11, 21, 1, tzinfo=UTC))
    pipeline.process_batch([hit(site, 7, datetime(2026, 11, 21, 9, tzinfo=UTC))])
    assert not RollupDirty.objects.exists()  # the 21st is read raw until it is rolled up


def test_sites_without_events_get_a_fill_state_and_no_rows(db):
    site = SiteFactory()
    assert rollups.roll_up_site(site, now=NOON).days == 0
    assert RollupState.objects.get(site_id=site.id).rolled_until == NOON.date()
    assert not Rollup.objects.filter(site_id=site.id).exists()


def test_command_rolls_up_and_reports(site):
    out = StringIO()
    call_command("rollup", "--site", site.domain, stdout=out, stderr=StringIO())
    assert "roll.example: rolled up" in out.getvalue()
    out = StringIO()
    call_command("rollup", stdout=out, stderr=StringIO())
    assert "roll.example: up to date." in out.getvalue()


def test_command_rejects_an_unknown_site(db):
    with pytest.raises(Exception, match="No site"):
        call_command("rollup", "--site", "nowhere.example", stdout=StringIO())


def test_the_fill_state_never_runs_ahead_of_the_clock(db):
    """A run before the first event's day starts the fill state at its own last completed day, not at
    the event's: days before the event that fill up later are then rolled up, not taken as done."""
    from stats.query import DateRange, StatsQuery
    from stats.sources import RAW, ROLLED
    from tests.stats import answers as report

    site = SiteFactory(domain="early.example")
    pipeline.process_batch([hit(site, 1, NOON + timedelta(days=3))])
    rollups.roll_up_site(site, now=NOON)
    assert RollupState.objects.get(site_id=site.id).rolled_until == NOON.date()  # the days before it are rolled up
    pipeline.process_batch([hit(site, 2, NOON + timedelta(days=1)), hit(site, 3, NOON)])
    rollups.roll_up_site(site, now=NOON + timedelta(days=1))
    dates = DateRange(NOON.date(), NOON.date() + timedelta(days=4), "UTC")
    query = StatsQuery(site_id=site.id, dates=dates, metrics=("visitors", "pageviews"))
    assert report.timeseries(query, source=ROLLED) == report.timeseries(query, source=RAW)
    assert report.aggregate(query, source=ROLLED)["visitors"].value == 3
