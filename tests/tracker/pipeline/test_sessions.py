"""Session assignment: 30-minute timeout, midnight crossing, bounce rules, counters."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.factories import TIME_ZERO, SiteFactory
from tracker import pipeline
from tracker.ingest.hits import Hit
from tracker.models import Event, Session

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


def hit(site, at, *, path="/", name="pageview", visitor=1, prev=None, engaged_ms=None) -> Hit:
    return Hit(
        uuid=str(uuid.uuid4()),
        site_id=site.id,
        name=name,
        timestamp=TIME_ZERO + at,
        raw_url=f"https://{site.domain}{path}",
        visitor_hash=visitor,
        prev_visitor_hash=prev,
        engaged_ms=engaged_ms,
    )


@pytest.fixture
def site():
    return SiteFactory()


def test_hits_within_30_minutes_share_a_session(site):
    pipeline.process_batch([hit(site, 0 * MINUTE, path="/a"), hit(site, 29 * MINUTE, path="/b")])
    pipeline.process_batch([hit(site, 58 * MINUTE, path="/c")])
    session = Session.objects.get()
    assert (session.pageviews, session.events, session.entry_path, session.exit_path) == (3, 3, "/a", "/c")
    assert session.duration == 58 * 60
    assert not session.is_bounce


def test_a_gap_over_30_minutes_starts_a_new_session(site):
    pipeline.process_batch([hit(site, 0 * MINUTE), hit(site, 31 * MINUTE)])
    assert Session.objects.count() == 2
    assert Event.objects.values("session").distinct().count() == 2


def test_visitors_and_sites_never_share_sessions(site):
    other = SiteFactory()
    pipeline.process_batch([hit(site, 0 * MINUTE, visitor=1), hit(site, MINUTE, visitor=2), hit(other, MINUTE)])
    assert Session.objects.count() == 3


def test_a_visit_crossing_midnight_continues_under_yesterdays_hash(site):
    """After midnight the visitor hashes differently; the previous salt's hash finds the visit."""
    pipeline.process_batch([hit(site, 0 * MINUTE, visitor=111)])
    pipeline.process_batch(
        [hit(site, 10 * MINUTE, visitor=222, prev=111), hit(site, 20 * MINUTE, visitor=222, prev=111)]
    )
    session = Session.objects.get()
    assert session.pageviews == 3
    assert set(Event.objects.values_list("visitor_hash", flat=True)) == {111}


def test_one_pageview_is_a_bounce_until_ten_seconds_of_engagement(site):
    pipeline.process_batch([hit(site, 0 * MINUTE), hit(site, MINUTE, name="engagement", engaged_ms=9_000)])
    session = Session.objects.get()
    assert (session.is_bounce, session.events, session.engaged_ms) == (True, 1, 9_000)
    pipeline.process_batch([hit(site, 2 * MINUTE, name="engagement", engaged_ms=1_000)])
    assert not Session.objects.get().is_bounce


def test_custom_events_count_as_events_not_pageviews(site):
    pipeline.process_batch([hit(site, 0 * MINUTE), hit(site, MINUTE, name="Signup", path="/pricing")])
    session = Session.objects.get()
    assert (session.pageviews, session.events, session.exit_path, session.is_bounce) == (1, 2, "/", True)


def test_a_visit_of_custom_events_alone_has_no_entry_page_and_is_no_bounce(site):
    pipeline.process_batch([hit(site, 0 * MINUTE, name="Signup", path="/pricing")])
    session = Session.objects.get()
    assert (session.pageviews, session.entry_path, session.exit_path, session.is_bounce) == (0, "", "", False)
    pipeline.process_batch([hit(site, MINUTE, path="/welcome")])  # a page view later in the visit
    session.refresh_from_db()
    assert (session.entry_path, session.exit_path, session.is_bounce) == ("/welcome", "/welcome", True)


def test_a_late_event_extends_the_session_backwards(site):
    pipeline.process_batch([hit(site, 10 * MINUTE, path="/second")])
    pipeline.process_batch([hit(site, 0 * MINUTE, path="/first")])
    session = Session.objects.get()
    assert (session.started, session.entry_path, session.exit_path) == (TIME_ZERO, "/first", "/second")


def test_session_takes_its_dimensions_from_the_first_hit(site):
    first = hit(site, 0 * MINUTE)
    first.raw_url = f"https://{site.domain}/?utm_source=newsletter&utm_campaign=nov"
    first.country, first.user_agent = "NL", "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
    pipeline.process_batch([first, hit(site, MINUTE)])
    session = Session.objects.get()
    assert (session.utm_source, session.utm_campaign, session.referrer_source, session.country, session.browser) == (
        "newsletter",
        "nov",
        "newsletter",
        "NL",
        "Firefox",
    )


def test_a_batch_costs_a_fixed_number_of_queries(site):
    """Reads and updates do not grow with the batch; inserts only by the backend's chunking."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    hits = [hit(site, i * MINUTE / 10, visitor=i % 50) for i in range(500)]
    pipeline.process_batch(hits[:250])
    with CaptureQueriesContext(connection) as queries:
        pipeline.process_batch(hits[250:])
    statements = [q["sql"].split(" ", 1)[0] for q in queries.captured_queries]
    # savepoint, lock, 3 reads, scratch table and update (PostgreSQL), release
    assert len([s for s in statements if s != "INSERT"]) <= 8
    assert Session.objects.count() == 50
