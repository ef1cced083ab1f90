"""The fill state of a site's rollups: how far they got, which days changed since, and the run that
rolls up what is due; re-running it finds nothing to do."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from sites.models import Site
from tracker.models import Event, Rollup, RollupDirty, RollupState
from tracker.pipeline import locks
from tracker.pipeline.storage import SessionRecord
from tracker.rollups.grouping import Day, group_day
from tracker.rollups.rows import roll_day, roll_months

logger = logging.getLogger(__name__)

# Rollups of a day wait this long after its end for events still on their way through the buffer.
GRACE = timedelta(minutes=5)


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def _advance(site: Site, now: datetime) -> date:
    """Move the site's fill state to the last completed local day, marking the days it passes dirty."""
    until = local_day(now - GRACE, site.timezone)
    with transaction.atomic():
        # Taken so no batch of the site's is between reading the old fill state and committing its events.
        locks.lock_site(site.id)
        state = RollupState.objects.select_for_update().filter(site=site).first()
        if state is None:
            first_event = Event.objects.filter(site=site).aggregate(first=Min("timestamp"))["first"]
            # Never past `until`: a fill state ahead of the clock would claim days not rolled up yet.
            since = min(local_day(first_event, site.timezone), until) if first_event else until
            state = RollupState(site=site, rolled_until=since)
        if state.rolled_until < until:
            days = (state.rolled_until + timedelta(days=n) for n in range((until - state.rolled_until).days))
            RollupDirty.objects.bulk_create([RollupDirty(site=site, day=d) for d in days], ignore_conflicts=True)
            state.rolled_until = until
        state.save()
    return until


def _days_to_roll(site: Site, until: date) -> list[date]:
    dirty = set(
        RollupDirty.objects.filter(site=site, period=Rollup.Period.DAY, day__lt=until).values_list("day", flat=True)
    )
    # A day's carried counts depend on the day before, so a changed day changes the next one too.
    following = {day + timedelta(days=1) for day in dirty}
    return sorted(day for day in dirty | following if day < until)


@dataclass
class RollupResult:
    site: str
    days: int = 0
    events: int = 0
    rows: int = 0


def roll_up_site(
    site: Site, *, now: datetime | None = None, progress: Callable[[Iterator[date], int], Iterator[date]] | None = None
) -> RollupResult:
    """Roll up the site's completed and dirty days; a second run finds nothing to do."""
    until = _advance(site, now or timezone.now())
    days = _days_to_roll(site, until)
    result = RollupResult(site.domain, days=len(days))
    before: Day | None = None
    previous: date | None = None
    iterator: Iterator[date] = iter(days)
    for day in progress(iterator, len(days)) if progress else iterator:
        if before is None or previous != day - timedelta(days=1):
            before = group_day(site, day - timedelta(days=1))
        grouped = group_day(site, day)
        roll_day(site, day, grouped, before)
        result.events += grouped.events
        result.rows += sum(1 for _ in grouped.rows()) + len(grouped.hours)
        before, previous = grouped, day
    roll_months(site)
    if days:
        logger.info("rolled up %s: %d days, %d rows", site.domain, result.days, result.rows)
    return result


def analyze_rollups() -> None:
    """Refresh PostgreSQL's statistics of the rollup table (after a large backfill)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Rollup._meta.db_table}")


def roll_up_all(*, now: datetime | None = None) -> list[RollupResult]:
    return [roll_up_site(site, now=now) for site in Site.objects.all()]


def mark_dirty(visits: Iterable[SessionRecord]) -> None:
    """Mark the rolled-up days these visits touch, so the next run recomputes them.

    Called in the batch's transaction, under its site locks, with the visits a batch created or
    extended: each visit's rows on every day from its start to its last event may have changed.
    """
    spans: dict[int, tuple[datetime, datetime]] = {}
    for visit in visits:
        first, last = spans.get(visit.site_id, (visit.started, visit.last_seen))
        spans[visit.site_id] = (min(first, visit.started), max(last, visit.last_seen))
    if not spans:
        return
    states = RollupState.objects.filter(site_id__in=spans).values_list("site_id", "site__timezone", "rolled_until")
    dirty = []
    for site_id, zone, rolled_until in states:
        first_day, last_day = (local_day(moment, zone) for moment in spans[site_id])
        last_day = min(last_day, rolled_until - timedelta(days=1))
        days = (first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1))
        dirty += [RollupDirty(site_id=site_id, day=day) for day in days]
    if dirty:
        RollupDirty.objects.bulk_create(dirty, ignore_conflicts=True)
