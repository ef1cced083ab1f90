"""The store reading PostgreSQL itself: the same events, visits and answers as the copy through Python."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from stats.query import DateRange
from tests.conftest import need_service
from tests.factories import SiteFactory
from tests.known_site import T0, hit
from tests.stats import answers
from tracker import pipeline
from tracker.models import Event
from tracker.store.clickhouse import json_props
from tracker.store.direct_copy import _months, connection_parameters, copy_site_events_directly

# ClickHouse reads the database over its own connection: the rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def history(settings):
    """A site whose events (over two months, with custom properties) were stored before the store was on."""
    if connection.vendor != "postgresql":
        need_service("PostgreSQL (the store reads it directly)")
    settings.EVENT_STORE = "db"
    site = SiteFactory()
    pipeline.process_batch(
        [
            hit(site, 1, 0, "/", raw_referrer="https://www.google.com/", country="DE"),
            hit(site, 1, 40, "/pricing", country="FR"),
            hit(site, 2, 100, "/blog/a", name="Signup", props={"plan": "pro", "seats": 5, "trial": True}),
            hit(site, 3, 40 * 86400, "/blog/b"),  # the next month
        ]
    )
    return site


def held_events(store, site_id: int) -> dict[str, tuple]:
    rows = store.rows(
        "SELECT toString(uuid), path, props, visit_country, visit_referrer_source FROM events "
        "WHERE site_id = {site:UInt64}",
        {"site": site_id},
    )
    return {uuid: tuple(rest) for uuid, *rest in rows}


def test_the_store_copies_events_visits_and_properties_as_the_database_holds_them(history, event_store):
    result = copy_site_events_directly(event_store, history, connection_parameters(connection.settings_dict))
    assert (result.read, result.copied) == (4, 4)
    stored = Event.objects.filter(site=history).values_list(
        "uuid", "path", "props", "session__country", "session__referrer_source"
    )
    expected = {str(uuid): (path, json_props(props), *visit) for uuid, path, props, *visit in stored}
    assert held_events(event_store, history.id) == expected
    days = DateRange(T0.date(), T0.date() + timedelta(days=45), "UTC")
    answers.assert_configured_answers_as_raw(history.id, days)


def test_a_second_direct_copy_copies_nothing(history, event_store):
    parameters = connection_parameters(connection.settings_dict)
    copy_site_events_directly(event_store, history, parameters)
    again = copy_site_events_directly(event_store, history, parameters)
    assert (again.read, again.copied) == (4, 0)


def test_the_command_copies_directly_with_a_summary(history, event_store):
    out = StringIO()
    call_command("copy_events", "--to-store", "--direct", stdout=out, stderr=StringIO())
    assert f"{history.domain}: 4 of 4 events copied" in out.getvalue()


def test_connection_parameters_come_from_django_unless_another_address_is_given():
    database = {"HOST": "", "PORT": "", "NAME": "footfall", "USER": "footfall", "PASSWORD": "secret"}
    assert connection_parameters(database) == {
        "address": "127.0.0.1:5432",
        "database": "footfall",
        "user": "footfall",
        "password": "secret",
    }
    assert connection_parameters({**database, "HOST": "db.internal", "PORT": 6432})["address"] == "db.internal:6432"
    assert connection_parameters(database, "10.0.0.5:5432")["address"] == "10.0.0.5:5432"


def test_the_command_refuses_a_direct_copy_from_another_database(event_store):
    with mock.patch.object(connection, "vendor", "sqlite"), pytest.raises(CommandError, match="PostgreSQL"):
        call_command("copy_events", "--to-store", "--direct")


def test_months_run_from_the_first_events_month_to_the_last_events():
    first, last = datetime(2025, 11, 30, 23, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    assert [start.date().isoformat() for start, _ in _months(first, last)] == ["2025-11-01", "2025-12-01", "2026-01-01"]
