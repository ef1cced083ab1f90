"""The tracker's schema changes that a populated database must survive in both directions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tracker.models import Event, Session

BEFORE_SITE_INDEXES_DROPPED = [("tracker", "0011_drop_counts")]


def _indexes() -> dict[str, set[tuple[str, ...]]]:
    """The columns of each plain index of events and sessions."""
    found = {}
    with connection.cursor() as cursor:
        for table in (Event._meta.db_table, Session._meta.db_table):
            constraints = connection.introspection.get_constraints(cursor, table).values()
            found[table] = {tuple(c["columns"]) for c in constraints if c["index"] and not c["unique"]}
    return found


@pytest.mark.django_db(transaction=True)
def test_the_site_indexes_that_composite_indexes_cover_are_dropped_and_restored_backwards():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE_SITE_INDEXES_DROPPED)
        assert all(("site_id",) in columns for columns in _indexes().values())
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    after = _indexes()
    assert not any(("site_id",) in columns for columns in after.values())
    assert ("site_id", "timestamp") in after["tracker_event"]
    assert ("site_id", "started") in after["tracker_session"]
    # The foreign keys stay: a site's deletion still takes its events and sessions with it.
    with connection.cursor() as cursor:
        keys = connection.introspection.get_constraints(cursor, Event._meta.db_table).values()
    assert any(c["foreign_key"] == ("sites_site", "id") and c["columns"] == ["site_id"] for c in keys)
