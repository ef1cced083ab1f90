"""Bulk reads and writes for one batch: duplicate check, session insert and update, event insert.

On PostgreSQL each is one statement over column arrays (`unnest`), linear in the batch size.
Django's bulk_update would instead build CASE expressions whose cost grows with the square of
the batch. Elsewhere (SQLite in the embedded mode, where inline batches are small) Django's
bulk methods serve.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from django.db import connection
from django.db.models import Model

from tracker.models import Event, Session

EVENT_FIELDS = [f.attname for f in Event._meta.concrete_fields if not f.primary_key]
SESSION_FIELDS = [f.attname for f in Session._meta.concrete_fields if not f.primary_key]


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _array_casts(model: type[Model], attnames: Sequence[str]) -> list[str]:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    return [f"%s::{fields[name].db_type(connection)}[]" for name in attnames]


def _columns(model: type[Model], attnames: Sequence[str]) -> str:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    return ", ".join(connection.ops.quote_name(fields[name].column) for name in attnames)


def existing_event_uuids(uuids: Sequence[str]) -> set[str]:
    """Return which of these uuids are already stored."""
    if not uuids:
        return set()
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT uuid::text FROM tracker_event WHERE uuid = ANY(%s::uuid[])", [list(uuids)])
            return {row[0] for row in cursor.fetchall()}
    return {str(u) for u in Event.objects.filter(uuid__in=uuids).values_list("uuid", flat=True)}


def insert_sessions(sessions: list[Session]) -> None:
    """Insert new sessions and set their primary keys."""
    if not sessions:
        return
    if not _postgres():
        Session.objects.bulk_create(sessions)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('tracker_session', 'id')) FROM generate_series(1, %s)",
            [len(sessions)],
        )
        for session, (pk,) in zip(sessions, cursor.fetchall(), strict=True):
            session.pk = pk
        names = ["id", *SESSION_FIELDS]
        columns = [[getattr(s, name) for s in sessions] for name in names]
        cursor.execute(
            f"INSERT INTO tracker_session ({_columns(Session, names)}) "  # noqa: S608 (names come from the model)
            f"SELECT * FROM unnest({', '.join(_array_casts(Session, names))})",
            columns,
        )


def update_sessions(sessions: list[Session], attnames: Sequence[str]) -> None:
    """Write the given fields of existing sessions."""
    if not sessions:
        return
    if not _postgres():
        Session.objects.bulk_update(sessions, list(attnames))
        return
    names = ["id", *attnames]
    assignments = ", ".join(f"{connection.ops.quote_name(n)} = v.{connection.ops.quote_name(n)}" for n in attnames)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE tracker_session AS s SET {assignments} "  # noqa: S608 (names come from the model)
            f"FROM unnest({', '.join(_array_casts(Session, names))}) AS v({_columns(Session, names)}) "
            "WHERE s.id = v.id",
            [[getattr(s, name) for s in sessions] for name in names],
        )


def insert_events(rows: list[dict[str, Any]]) -> None:
    """Insert events given as {attname: value}; a uuid already stored is skipped."""
    if not rows:
        return
    if not _postgres():
        Event.objects.bulk_create([Event(**row) for row in rows], batch_size=500, ignore_conflicts=True)
        return
    columns = [[row[name] for row in rows] for name in EVENT_FIELDS]
    props = EVENT_FIELDS.index("props")
    columns[props] = [orjson.dumps(value).decode() for value in columns[props]]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO tracker_event ({_columns(Event, EVENT_FIELDS)}) "  # noqa: S608 (names come from the model)
            f"SELECT * FROM unnest({', '.join(_array_casts(Event, EVENT_FIELDS))}) "
            "ON CONFLICT (uuid) DO NOTHING",
            columns,
        )
