"""Bulk writes, on whichever database the suite runs against (SQLite or PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from tests.factories import TIME_ZERO, EventFactory, SessionFactory, SiteFactory
from tracker.ingest.hits import Hit
from tracker.models import Event, Rollup, Session
from tracker.pipeline import storage

pytestmark = pytest.mark.django_db


def enriched(site, **fields) -> Hit:
    """A hit as the pipeline's steps leave it, every Event column filled in."""
    hit = Hit(
        uuid=str(uuid.uuid4()),
        site_id=site.id,
        name="pageview",
        timestamp=TIME_ZERO,
        raw_url="https://x/?a=1",
        props={"plan": "pro", "n": 2},
        scroll_depth=50,
        visitor_hash=7,
        path="/",
        url="https://x/",
    )
    for name, value in fields.items():
        setattr(hit, name, value)
    return hit


def test_existing_event_uuids():
    stored = EventFactory()
    missing = str(uuid.uuid4())
    assert storage.existing_event_uuids([str(stored.uuid), missing]) == {str(stored.uuid)}
    assert storage.existing_event_uuids([]) == set()


def test_insert_events_keeps_every_field():
    site = SiteFactory()
    first, second = enriched(site), enriched(site, name="Signup", engaged_ms=1200, referrer_source="Google")
    storage.insert_events([first])
    assert Event.objects.get(uuid=first.uuid).props == {"plan": "pro", "n": 2}
    storage.insert_events([second])
    assert Event.objects.count() == 2
    stored = Event.objects.get(uuid=second.uuid)
    assert (stored.url, stored.referrer_source) == ("https://x/", "Google")
    assert (stored.props, stored.engaged_ms, stored.scroll_depth, stored.timestamp) == (
        {"plan": "pro", "n": 2},
        1200,
        50,
        TIME_ZERO,
    )


def test_insert_sessions_sets_primary_keys():
    site = SiteFactory()
    sessions = [
        storage.SessionRecord(site_id=site.id, visitor_hash=n, started=TIME_ZERO, last_seen=TIME_ZERO, entry_path="/")
        for n in range(3)
    ]
    storage.insert_sessions(sessions)
    assert all(s.id for s in sessions)
    assert set(Session.objects.values_list("id", flat=True)) == {s.id for s in sessions}


def test_open_sessions_reads_recent_sessions_of_the_visitors():
    recent = SessionFactory(visitor_hash=5, last_seen=TIME_ZERO)
    SessionFactory(site=recent.site, visitor_hash=5, last_seen=TIME_ZERO - timedelta(hours=2))
    SessionFactory(site=recent.site, visitor_hash=6, last_seen=TIME_ZERO)
    SessionFactory(visitor_hash=5, last_seen=TIME_ZERO)  # another site
    assert storage.open_sessions(set(), TIME_ZERO) == []
    found = storage.open_sessions({(recent.site_id, 5)}, TIME_ZERO - timedelta(minutes=30))
    assert [s.id for s in found] == [recent.id]
    assert found[0].entry_path == recent.entry_path


def test_update_sessions_writes_only_the_named_fields():
    model = SessionFactory(pageviews=1, exit_path="/a", referrer_source="Google")
    (session,) = storage.open_sessions({(model.site_id, model.visitor_hash)}, TIME_ZERO - timedelta(days=1))
    session.pageviews, session.exit_path, session.referrer_source = 5, "/b", "changed"
    session.last_seen = TIME_ZERO + timedelta(minutes=3)
    storage.update_sessions([session], ["pageviews", "exit_path", "last_seen"])
    stored = Session.objects.get()
    assert (stored.pageviews, stored.exit_path, stored.referrer_source, stored.last_seen) == (
        5,
        "/b",
        "Google",
        TIME_ZERO + timedelta(minutes=3),
    )


def test_insert_rollups_keeps_every_field():
    site = SiteFactory()
    counts = {name: n for n, name in enumerate(storage.ROLLUP_FIELDS) if name.endswith(("visitors", "carried", "ms"))}
    written = [
        Rollup(site_id=site.id, period="day", day=date(2026, 11, 30), dimension="visit:source", value="G", **counts),
        Rollup(site_id=site.id, period="hour", day=date(2026, 12, 1), hour=23, pageviews=5),
    ]
    storage.insert_rollups(written)
    stored = Rollup.objects.filter(site_id=site.id).order_by("day")
    assert [[getattr(r, name) for name in storage.ROLLUP_FIELDS] for r in stored] == [
        [getattr(r, name) for name in storage.ROLLUP_FIELDS] for r in written
    ]
