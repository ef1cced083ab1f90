"""Bulk reads and writes: a batch's duplicate check, open sessions, session and event writes; rollup rows.

On PostgreSQL rows go in with COPY (session updates through a scratch table and one joined
UPDATE) and lookups take arrays, so the cost is linear in the batch size; Django's bulk_update
would instead build CASE expressions whose cost grows with the square of the batch. Elsewhere
(SQLite in the embedded mode, where inline batches are small) Django's bulk methods serve.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import psycopg
from django.db import connection

from tracker.ingest.hits import Hit, VisitDimensions
from tracker.models import DropCount, Event, Rollup, Session

# Attribute names, which are also the column names (no model sets db_column).
EVENT_FIELDS = [f.attname for f in Event._meta.concrete_fields if not f.primary_key]
SESSION_FIELDS = [f.attname for f in Session._meta.concrete_fields if not f.primary_key]
ROLLUP_FIELDS = [f.attname for f in Rollup._meta.concrete_fields if not f.primary_key]


@dataclass(slots=True)
class SessionRecord(VisitDimensions):
    """A Session row as the batch works on it: a plain record, cheaper than a model instance."""

    site_id: int
    visitor_hash: int
    started: datetime
    last_seen: datetime
    entry_path: str = ""
    exit_path: str = ""
    pageviews: int = 0
    events: int = 0
    duration: int = 0
    engaged_ms: int = 0
    is_bounce: bool = True
    id: int | None = None
    is_new: bool = False  # started by the batch at hand (its dimensions are set; an extended one's are not read)


# What a hit changes in the session it joins; the session's dimensions stay as they were.
SESSION_PROGRESS_FIELDS = [
    "started",
    "last_seen",
    "entry_path",
    "exit_path",
    "pageviews",
    "events",
    "duration",
    "engaged_ms",
    "is_bounce",
]


def open_sessions(visitors: Collection[tuple[int, int]], since: datetime) -> list[SessionRecord]:
    """Return the sessions of these (site id, visitor hash) pairs seen since `since`, oldest first.

    Only the keys and SESSION_PROGRESS_FIELDS are read. On PostgreSQL the pairs are joined in as arrays, so
    each is one index probe and the cost follows the batch, not the visits in progress.
    """
    names = ["id", "site_id", "visitor_hash", *SESSION_PROGRESS_FIELDS]
    if _postgres():
        site_ids, hashes = zip(*visitors, strict=True) if visitors else ((), ())
        connection.ensure_connection()
        # A binary result: psycopg then decodes timestamps without parsing text (a third faster).
        # Django's wrapper turns psycopg's errors into Django's, which callers handle.
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                f"SELECT {', '.join(f's.{n}' for n in names)} FROM tracker_session AS s "  # noqa: S608 (model names)
                "JOIN unnest(%s::bigint[], %s::bigint[]) AS v(site_id, visitor_hash) "
                "ON s.site_id = v.site_id AND s.visitor_hash = v.visitor_hash "
                "WHERE s.last_seen >= %s ORDER BY s.last_seen",
                [list(site_ids), list(hashes), since],
                binary=True,
            )
            rows = cursor.fetchall()
    else:
        wanted = set(visitors)
        candidates = Session.objects.filter(
            site_id__in={site for site, _ in wanted},
            visitor_hash__in={visitor for _, visitor in wanted},
            last_seen__gte=since,
        )
        rows = [
            row
            for row in candidates.order_by("last_seen").values_list(*names)
            if (row[1], row[2]) in wanted  # (site_id, visitor_hash)
        ]
    return [SessionRecord(**dict(zip(names, row, strict=True))) for row in rows]


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def existing_event_uuids(uuids: Sequence[str]) -> set[str]:
    """Return which of these uuids are already stored."""
    if not uuids:
        return set()
    if _postgres():
        with connection.cursor() as cursor:
            # `= ANY` plans as index probes; a join on unnest() tempts the planner into a hash join.
            cursor.execute("SELECT uuid::text FROM tracker_event WHERE uuid = ANY(%s::uuid[])", [list(uuids)])
            return {row[0] for row in cursor.fetchall()}
    return {str(u) for u in Event.objects.filter(uuid__in=uuids).values_list("uuid", flat=True)}


def _copy(table: str, attnames: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Stream rows into a table with COPY, the fastest way into PostgreSQL."""
    # psycopg's own copy() bypasses Django's cursor wrapper, so its errors are wrapped here.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {table} ({', '.join(attnames)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _session_model(record: SessionRecord) -> Session:
    return Session(**{name: getattr(record, name) for name in ("id", *SESSION_FIELDS)})


def insert_sessions(sessions: list[SessionRecord]) -> None:
    """Insert new sessions and set their ids."""
    if not sessions:
        return
    if not _postgres():
        models = Session.objects.bulk_create([_session_model(s) for s in sessions])
        for record, model in zip(sessions, models, strict=True):
            record.id = model.pk
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('tracker_session', 'id')) FROM generate_series(1, %s)",
            [len(sessions)],
        )
        for session, (pk,) in zip(sessions, cursor.fetchall(), strict=True):
            session.id = pk
    names = ["id", *SESSION_FIELDS]
    _copy("tracker_session", names, ([getattr(s, name) for name in names] for s in sessions))


def update_sessions(sessions: list[SessionRecord], attnames: Sequence[str]) -> None:
    """Write the given fields of existing sessions."""
    if not sessions:
        return
    if not _postgres():
        Session.objects.bulk_update([_session_model(s) for s in sessions], list(attnames))
        return
    names = ["id", *attnames]
    columns = ", ".join(names)
    assignments = ", ".join(f"{name} = v.{name}" for name in attnames)
    with connection.cursor() as cursor:
        # COPY into a scratch table, then one joined UPDATE: cheaper than passing arrays.
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS session_changes ON COMMIT DELETE ROWS "  # noqa: S608 (model names)
            f"AS SELECT {columns} FROM tracker_session WITH NO DATA; "
            # Emptied at commit, but batches may share a transaction (a restore, the tests), and
            # an earlier batch's rows would join the UPDATE with stale values. Same round trip.
            "TRUNCATE session_changes"
        )
        _copy("session_changes", names, ([getattr(s, name) for name in names] for s in sessions))
        cursor.execute(
            f"UPDATE tracker_session AS s SET {assignments} FROM session_changes AS v "  # noqa: S608 (model names)
            "WHERE s.id = v.id"
        )


def event_row(hit: Hit) -> list[Any]:
    """Return the hit's event as values in EVENT_FIELDS order, read from the hit by column name."""
    return [getattr(hit, name) for name in EVENT_FIELDS]


def insert_events(hits: Iterable[Hit]) -> None:
    """Insert the hits' events.

    Callers hold the batch's partition locks and have dropped stored uuids (a retried event has the
    same visitor, so the same partition), so on PostgreSQL the rows go in with a plain COPY; the
    unique uuid index stays the backstop (a violation aborts the batch, which is then replayed and
    deduplicated).
    """
    rows = [event_row(hit) for hit in hits]
    if not rows:
        return
    if not _postgres():
        events = [Event(**dict(zip(EVENT_FIELDS, row, strict=True))) for row in rows]
        Event.objects.bulk_create(events, batch_size=500, ignore_conflicts=True)
        return
    props = EVENT_FIELDS.index("props")
    for row in rows:
        row[props] = orjson.dumps(row[props]).decode()
    _copy("tracker_event", EVENT_FIELDS, rows)


def insert_rollups(rows: Iterable[Rollup]) -> None:
    """Insert rollup rows: COPY on PostgreSQL, one executemany elsewhere.

    A day of a busy site has tens of thousands of rows; bulk_create prepares every value of
    every row through its field, which costs more than grouping the day's events.
    """
    values = ([getattr(row, name) for name in ROLLUP_FIELDS] for row in rows)
    if _postgres():
        _copy(Rollup._meta.db_table, ROLLUP_FIELDS, values)
        return
    day = ROLLUP_FIELDS.index("day")
    adapt = connection.ops.adapt_datefield_value
    placeholders = ", ".join(["%s"] * len(ROLLUP_FIELDS))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {Rollup._meta.db_table} ({', '.join(ROLLUP_FIELDS)}) VALUES ({placeholders})",  # noqa: S608
            [(*row[:day], adapt(row[day]), *row[day + 1 :]) for row in values],
        )


DropKey = tuple[int, datetime, str]  # (site id, UTC hour, reason)


def add_drop_counts(counts: Mapping[DropKey, int]) -> None:
    """Add to the dropped events per site, hour and reason (one statement; sites must exist)."""
    if not counts:
        return
    adapt = connection.ops.adapt_datetimefield_value
    rows = [(site_id, adapt(hour), reason, n) for (site_id, hour, reason), n in counts.items()]
    table = DropCount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (site_id, hour, reason, events) VALUES "  # noqa: S608 (model names)
            + ", ".join(["(%s, %s, %s, %s)"] * len(rows))
            + f" ON CONFLICT (site_id, hour, reason) DO UPDATE SET events = {table}.events + excluded.events",
            [value for row in rows for value in row],
        )
