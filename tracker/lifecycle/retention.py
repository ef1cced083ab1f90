"""Retention: raw events and sessions older than a site's `retention_days` are deleted; rollups stay.

Rows go in batches of DELETE_BATCH_SIZE, one short transaction each, so the pipeline never waits
long for a lock. The site is rolled up first and nothing after the start of its fill state is
deleted, so the rollups keep counting what the deleted rows said.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from sites.models import Site
from tracker import rollups
from tracker.lifecycle.archive import apply_archive_retention
from tracker.models import DropCount, Event, RollupState, Session
from tracker.store import event_store

logger = logging.getLogger(__name__)


@dataclass
class RetentionResult:
    site: str
    events: int = 0
    sessions: int = 0


def delete_in_batches(rows: QuerySet[Event] | QuerySet[Session], batch_size: int | None = None) -> int:
    """Delete the rows a batch of ids at a time, each batch in its own transaction; return the count."""
    size = batch_size or settings.DELETE_BATCH_SIZE
    model = rows.model
    total = 0
    while True:
        with transaction.atomic():
            ids = list(rows.order_by().values_list("id", flat=True)[:size])
            if not ids:
                return total
            # Events have no dependants, so this is one DELETE; a session's events are gone already.
            model.objects.filter(id__in=ids).delete()
        total += len(ids)


def retention_cutoff(site: Site, now: datetime) -> datetime | None:
    """Return the moment before which the site's raw rows go, or None to keep them."""
    if site.retention_days is None:
        return None
    cutoff = now - timedelta(days=site.retention_days)
    state = RollupState.objects.filter(site=site).first()
    if state is None:
        return None  # never rolled up: deleting raw rows would lose their numbers
    rolled = datetime.combine(state.rolled_until, time.min, ZoneInfo(site.timezone)).astimezone(UTC)
    return min(cutoff, rolled)


def apply_site_retention(site: Site, *, now: datetime | None = None) -> RetentionResult:
    """Delete the site's events and finished visits older than its retention, after rolling it up."""
    now = now or timezone.now()
    result = RetentionResult(site.domain)
    if site.retention_days is None:
        return result
    rollups.roll_up_site(site, now=now)
    cutoff = retention_cutoff(site, now)
    if cutoff is None:
        return result
    result.events = delete_in_batches(Event.objects.filter(site_id=site.id, timestamp__lt=cutoff))
    # A visit ends at its last event: one that ended before the cutoff has no events left.
    result.sessions = delete_in_batches(Session.objects.filter(site_id=site.id, last_seen__lt=cutoff))
    store = event_store()
    if store is not None:
        store.delete_events(site.id, before=cutoff)
    if result.events or result.sessions:
        logger.info("retention %s: deleted %d events, %d sessions", site.domain, result.events, result.sessions)
    return result


# Dropped-event counts are for noticing a problem now, not history.
DROP_COUNT_DAYS = 30


def apply_retention(*, now: datetime | None = None) -> list[RetentionResult]:
    """Apply every site's retention (raw rows) and the archive's; forget old dropped-event counts."""
    results = [apply_site_retention(site, now=now) for site in Site.objects.filter(retention_days__isnull=False)]
    apply_archive_retention(now=now)
    DropCount.objects.filter(hour__lt=(now or timezone.now()) - timedelta(days=DROP_COUNT_DAYS)).delete()
    return results
