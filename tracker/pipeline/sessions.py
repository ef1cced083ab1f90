"""Session assignment for a batch: 30 minutes of inactivity ends a visit.

A hit joins the visitor's open session, found under today's visitor hash or, for visits
that cross midnight, under yesterday's. Sessions are read in one query, and written with
one bulk insert and one bulk update per batch.

Sessions are read and written under the batch's partition locks (tracker/pipeline/locks.py): two
batches that could extend the same session never run at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings

from stats.dimensions import ENGAGEMENT, PAGEVIEW, VISIT_COLUMNS
from tracker.ingest.hits import Hit
from tracker.pipeline import storage
from tracker.pipeline.storage import SessionRecord

# A visit stops being a bounce at two page views or ten seconds of engagement.
ENGAGED_MS_NOT_BOUNCE = 10_000


def _timeout() -> timedelta:
    return timedelta(minutes=settings.SESSION_TIMEOUT_MINUTES)


def _open_sessions(hits: list[Hit]) -> dict[tuple[int, int], SessionRecord]:
    """Return the latest session per (site, visitor hash) that some hit in the batch may join."""
    visitors = {(h.site_id, h.visitor_hash) for h in hits}
    visitors |= {(h.site_id, h.prev_visitor_hash) for h in hits if h.prev_visitor_hash}
    earliest = min(h.timestamp for h in hits) - _timeout()
    return {(s.site_id, s.visitor_hash): s for s in storage.open_sessions(visitors, earliest)}


def _joinable(session: SessionRecord | None, at: datetime, timeout: timedelta) -> bool:
    return session is not None and session.started - timeout <= at <= session.last_seen + timeout


def _new_session(hit: Hit) -> SessionRecord:
    """A visit that starts with this hit: its dimensions are the hit's, under the same column names."""
    return SessionRecord(
        site_id=hit.site_id,
        visitor_hash=hit.visitor_hash,
        started=hit.timestamp,
        last_seen=hit.timestamp,
        is_new=True,
        **{column: getattr(hit, column) for column in VISIT_COLUMNS},
    )


def _add_hit(session: SessionRecord, hit: Hit) -> None:
    """Count the hit in its visit. Entry and exit pages are those of the first and last page views, and
    a bounce is a visit of one page view without ten seconds of engagement: a visit of custom events
    alone (a server-side signup, say) has no entry page and is no bounce."""
    earliest, latest = hit.timestamp < session.started, hit.timestamp >= session.last_seen
    session.started = min(session.started, hit.timestamp)
    session.last_seen = max(session.last_seen, hit.timestamp)
    if hit.name == PAGEVIEW:
        session.pageviews += 1
        if earliest or not session.entry_path:
            session.entry_path = hit.path
        if latest or not session.exit_path:
            session.exit_path = hit.path
    if hit.name != ENGAGEMENT:
        session.events += 1
    session.engaged_ms += hit.engaged_ms or 0
    session.duration = int((session.last_seen - session.started).total_seconds())
    session.is_bounce = session.pageviews == 1 and session.engaged_ms < ENGAGED_MS_NOT_BOUNCE


def assign_sessions(hits: Iterable[Hit]) -> list[SessionRecord]:
    """Attach every hit to a session, creating and updating Session rows; sets hit.session_id.

    Returns the sessions the batch created or extended.

    Call inside the batch's transaction, after locks.lock_batch(hits).
    """
    ordered = sorted(hits, key=lambda h: h.timestamp)
    if not ordered:
        return []
    current = _open_sessions(ordered)
    timeout = _timeout()
    created: list[SessionRecord] = []
    owners: dict[int, SessionRecord] = {}  # id(hit) -> its session, until new sessions have ids
    for hit in ordered:
        key = (hit.site_id, hit.visitor_hash)
        session = current.get(key)
        if not _joinable(session, hit.timestamp, timeout) and hit.prev_visitor_hash:
            session = current.get((hit.site_id, hit.prev_visitor_hash))
        if session is None or not _joinable(session, hit.timestamp, timeout):
            session = _new_session(hit)
            created.append(session)
        # Later hits of a visit that crossed midnight find it under today's hash too.
        current[key] = session
        _add_hit(session, hit)
        hit.visitor_hash = session.visitor_hash
        owners[id(hit)] = session
    fresh = {id(s) for s in created}
    updated = {id(s): s for s in owners.values() if id(s) not in fresh}
    storage.insert_sessions(created)
    storage.update_sessions(list(updated.values()), storage.SESSION_PROGRESS_FIELDS)
    for hit in ordered:
        hit.session_id = owners[id(hit)].id
    return created + list(updated.values())
