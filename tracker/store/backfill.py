"""Copying a database's events and visits into the event store: what an install that turns on a
ClickHouse store runs once, beside the pipeline that writes new batches to both.

Resumable and idempotent: events go in chunks in the order of their ids, and each chunk skips the
events the store holds already (copied by an earlier run, or written by the pipeline meanwhile).
Visits are written with the lowest version, so a visit the pipeline extends later keeps its newer row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sites.models import Site
from tracker.models import Event, Session
from tracker.store.clickhouse import DIMENSION_COLUMNS, EVENT_COLUMNS, PROGRESS_COLUMNS, ClickHouseStore, json_props

COPIED_VERSION = 1  # below any the pipeline writes (nanoseconds since 1970)
_PROPS = EVENT_COLUMNS.index("props")
_SESSION = EVENT_COLUMNS.index("session_id")


@dataclass
class CopyResult:
    read: int = 0
    copied: int = 0


def _chunks(site: Site, size: int) -> Iterator[list[list[Any]]]:
    """The site's events as store rows, `size` at a time, in the order of their ids."""
    after = 0
    while True:
        chunk = list(
            Event.objects.filter(site_id=site.id, id__gt=after).order_by("id").values_list("id", *EVENT_COLUMNS)[:size]
        )
        if not chunk:
            return
        after = chunk[-1][0]
        yield [list(row[1:]) for row in chunk]


def _visits(session_ids: set[int]) -> tuple[list[list[Any]], list[list[Any]]]:
    rows = Session.objects.filter(id__in=session_ids).values(*{*DIMENSION_COLUMNS, *PROGRESS_COLUMNS} - {"version"})
    dimensions = [[row[column] for column in DIMENSION_COLUMNS] for row in rows]
    progress = [[COPIED_VERSION if c == "version" else row[c] for c in PROGRESS_COLUMNS] for row in rows]
    return dimensions, progress


def copy_site_events(
    store: ClickHouseStore, site: Site, *, chunk_size: int = 10_000, progress: Callable[[int], None] = lambda n: None
) -> CopyResult:
    """Copy the site's events (and their visits) that the store does not hold; `progress` gets each chunk's size."""
    result = CopyResult()
    for rows in _chunks(site, chunk_size):
        result.read += len(rows)
        moments = [row[EVENT_COLUMNS.index("timestamp")] for row in rows]
        held = store.stored_uuids(site.id, min(moments), max(moments), [str(row[0]) for row in rows])
        missing = [row for row in rows if str(row[0]) not in held]
        for row in missing:
            row[_PROPS] = json_props(row[_PROPS])
            row[_SESSION] = row[_SESSION] or 0
        if missing:
            store.insert_visits(*_visits({row[_SESSION] for row in missing}))
            store.insert_events(missing, token=f"copy:{missing[0][0]}:{missing[-1][0]}:{len(missing)}")
        result.copied += len(missing)
        progress(len(rows))
    return result
