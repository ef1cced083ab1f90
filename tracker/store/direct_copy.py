"""Copying a PostgreSQL database's events into the event store with ClickHouse reading the database
itself (its `postgresql` table function), a month at a time: no row passes through Python, so it is
many times faster than tracker/store/backfill.py's copy, for the cut-over of a large install.

It needs the store to reach PostgreSQL with Footfall's credentials (a ClickHouse server may see the
database at another address: `address` says which). Like the other copy it is resumable and
idempotent: each month skips the events the store holds already, and visits are written with the
lowest version, so the pipeline's newer rows win.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sites.models import Site
from stats.dimensions import VISIT_COLUMNS
from tracker.models import Event
from tracker.pipeline.storage import EVENT_FIELDS
from tracker.store.backfill import COPIED_VERSION, CopyResult
from tracker.store.clickhouse import EVENT_COLUMNS, PROGRESS_COLUMNS, UTC_TIME, ClickHouseStore


def _table(name: str) -> str:
    """The database's table as ClickHouse reads it (the connection's parts are the statement's parameters)."""
    return f"postgresql({{address:String}}, {{database:String}}, '{name}', {{user:String}}, {{password:String}})"


# The events' columns as the store keeps them: properties as a map of their values' JSON texts (as
# PostgreSQL prints the jsonb), no visit as 0, and the visit's dimensions from its session.
_CONVERTED = {
    "props": "CAST(JSONExtractKeysAndValuesRaw(e.props), 'Map(String, String)')",
    "session_id": "ifNull(e.session_id, 0)",
}
_EVENT_VALUES = ", ".join(_CONVERTED.get(column, f"e.{column}") for column in EVENT_FIELDS)
_VISIT_VALUES = ", ".join(f"ifNull(s.{column}, '')" for column in VISIT_COLUMNS)

COPY_VISITS = (
    f"INSERT INTO session_progress ({', '.join(PROGRESS_COLUMNS)}) "  # noqa: S608
    f"SELECT {', '.join(str(COPIED_VERSION) if c == 'version' else c for c in PROGRESS_COLUMNS)} "
    f"FROM {_table('tracker_session')} WHERE site_id = {{site:UInt64}}"
)


def _in_month(column: str) -> str:
    return f"{column} >= {{start:{UTC_TIME}}} AND {column} < {{end:{UTC_TIME}}}"


COPY_MONTH = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) SELECT {_EVENT_VALUES}, {_VISIT_VALUES} "  # noqa: S608
    f"FROM {_table('tracker_event')} AS e LEFT JOIN ("
    f"SELECT id, {', '.join(VISIT_COLUMNS)} FROM {_table('tracker_session')} WHERE site_id = {{site:UInt64}} "
    f"AND last_seen >= {{start:{UTC_TIME}}} AND started < {{end:{UTC_TIME}}}"
    ") AS s ON s.id = e.session_id "
    f"WHERE e.site_id = {{site:UInt64}} AND {_in_month('e.timestamp')} "
    f"AND e.uuid NOT IN (SELECT uuid FROM events WHERE site_id = {{site:UInt64}} AND {_in_month('timestamp')})"
)
_HELD = f"SELECT count() FROM events WHERE site_id = {{site:UInt64}} AND {_in_month('timestamp')}"  # noqa: S608


def connection_parameters(database: Mapping[str, Any], address: str | None = None) -> dict[str, str]:
    """Where and as whom the store reaches the database: Django's settings of it, or another address."""
    host = database.get("HOST") or "127.0.0.1"  # no host is the local socket, which ClickHouse cannot use
    return {
        "address": address or f"{host}:{database.get('PORT') or 5432}",
        "database": str(database["NAME"]),
        "user": str(database.get("USER") or ""),
        "password": str(database.get("PASSWORD") or ""),
    }


def _months(first: datetime, last: datetime) -> Iterator[tuple[datetime, datetime]]:
    start = first.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while start <= last:
        end = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
        yield start, end
        start = end


def copy_site_events_directly(
    store: ClickHouseStore,
    site: Site,
    connection: Mapping[str, str],
    *,
    progress: Callable[[int], None] = lambda n: None,
) -> CopyResult:
    """Copy the site's visits and the events the store does not hold, a month at a time; `progress`
    gets each month's events."""
    site_parameters = {**connection, "site": site.id}
    store.command(COPY_VISITS, site_parameters)
    result = CopyResult()
    events = Event.objects.filter(site_id=site.id)
    bounds = events.order_by("timestamp").values_list("timestamp", flat=True)
    if not bounds:
        return result
    for start, end in _months(bounds.first(), bounds.last()):  # type: ignore[arg-type]
        month = {**site_parameters, "start": start, "end": end}
        read = events.filter(timestamp__gte=start, timestamp__lt=end).count()
        held = store.rows(_HELD, month)[0][0]
        store.command(COPY_MONTH, month)
        result.read += read
        result.copied += store.rows(_HELD, month)[0][0] - held
        progress(read)
    return result
