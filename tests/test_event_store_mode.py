"""The suite's event-store mode: what tests write into the relational tables reaches the store, once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.event_store_mode import _Mirror
from tests.factories import EventFactory, SiteFactory
from tracker.store.clickhouse import ClickHouseStore

pytestmark = pytest.mark.django_db


def events_held(store: ClickHouseStore) -> int:
    return store.rows("SELECT count() FROM events", {})[0][0]


def test_the_mirror_copies_each_event_once_and_logs_no_query(event_store):
    mirror = _Mirror()
    site = SiteFactory()
    EventFactory.create_batch(3, site=site)
    with CaptureQueriesContext(connection) as queries:
        mirror.catch_up(event_store)
    assert (events_held(event_store), len(queries)) == (3, 0)

    EventFactory(site=site, path="/later")
    EventFactory(site=SiteFactory())
    mirror.catch_up(event_store)
    mirror.catch_up(event_store)
    assert events_held(event_store) == 5
