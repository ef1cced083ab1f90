"""Copying a database's events into the event store: all of them once, resumable, beside the pipeline."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from stats.query import DateRange
from tests.factories import SiteFactory
from tests.known_site import T0, hit
from tests.stats import answers
from tracker import pipeline
from tracker.store.backfill import copy_site_events
from tracker.store.clickhouse import ClickHouseStore

pytestmark = pytest.mark.django_db


def events_held(store: ClickHouseStore, site_id: int) -> int:
    return store.rows("SELECT count() FROM events WHERE site_id = {site:UInt64}", {"site": site_id})[0][0]


@pytest.fixture
def history(settings):
    """A site whose events were stored before the event store was turned on."""
    settings.EVENT_STORE = "db"
    site = SiteFactory()
    pipeline.process_batch(
        [
            hit(site, 1, 0, "/", raw_referrer="https://www.google.com/"),
            hit(site, 1, 40, "/pricing"),
            hit(site, 2, 100, "/blog/a", name="Signup", props={"plan": "pro", "seats": 5}),
            hit(site, 3, 200, "/blog/a"),
        ]
    )
    return site


def test_a_copy_answers_as_the_database_does(history, event_store):
    result = copy_site_events(event_store, history, chunk_size=3)
    assert (result.read, result.copied) == (4, 4)
    day = DateRange(T0.date(), T0.date(), "UTC")
    answers.assert_configured_answers_as_raw(history.id, day)


def test_a_second_copy_copies_nothing_and_new_batches_are_not_copied_twice(history, event_store):
    copy_site_events(event_store, history, chunk_size=2)
    pipeline.process_batch([hit(history, 4, 300, "/new")])  # the pipeline writes to both from now on
    again = copy_site_events(event_store, history, chunk_size=2)
    assert (again.read, again.copied) == (5, 0)
    assert events_held(event_store, history.id) == 5


def test_an_interrupted_copy_resumes_where_it_stopped(history, event_store):
    chunks = []

    def stop_after_the_first_chunk(size: int) -> None:
        chunks.append(size)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_site_events(event_store, history, chunk_size=3, progress=stop_after_the_first_chunk)
    assert events_held(event_store, history.id) == 3
    result = copy_site_events(event_store, history, chunk_size=3)
    assert (result.read, result.copied) == (4, 1)
    assert events_held(event_store, history.id) == 4


def test_the_command_copies_every_site_with_a_summary(history, event_store):
    out, err = StringIO(), StringIO()
    call_command("copy_events", "--to-store", stdout=out, stderr=err)
    assert f"{history.domain}: 4 of 4 events copied (0 were there already)" in out.getvalue()
    assert "copy " in err.getvalue()  # the progress bar


def test_the_command_refuses_without_a_store_and_for_an_unknown_site(history, event_store, settings):
    with pytest.raises(CommandError, match="No site"):
        call_command("copy_events", "--to-store", "--site", "nowhere.example")
    with pytest.raises(CommandError, match="chunk-size"):
        call_command("copy_events", "--to-store", "--chunk-size", "0")
    settings.EVENT_STORE = "db"
    with pytest.raises(CommandError, match="EVENT_STORE is db"):
        call_command("copy_events", "--to-store")
