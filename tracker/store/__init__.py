"""The event store: where events and their visits are kept for the stats layer to count.

`EVENT_STORE=db` (the default) keeps them only in the relational tables (tracker.models). A
ClickHouse store (`clickhouse://...`, or `chdb:///path` in-process) receives every batch as well,
in the batch's transaction, and the stats layer counts from it (stats/clickhouse.py). The relational
tables stay the pipeline's record of visits in progress and of uuids already stored.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings

from tracker.store.clickhouse import ClickHouseStore


def event_store() -> ClickHouseStore | None:
    """The configured ClickHouse store, or None when events are kept in the database alone."""
    return _store_at(settings.EVENT_STORE)


@cache
def _store_at(url: str) -> ClickHouseStore | None:
    if url in ("", "db"):
        return None
    return ClickHouseStore(url)


__all__ = ["ClickHouseStore", "event_store"]
