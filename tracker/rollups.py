"""Rollups: per site and local hour, day and month, the counts the stats layer adds up instead of raw rows.

Day rows exist for the whole site and for every value of every stats property (page, entry and
exit page, source, referrer, UTM fields, country, browser, OS, device, event name, custom
property values), and, within each page, for the values of the properties an article's page
breaks down by (PAGE_DIMENSIONS); hour rows for the whole site; month rows are summed from day
rows. All are in the site's time zone.

A fill state per site (`RollupState.rolled_until`) says how far the rollups got, as Zulip's
analytics does: a run rolls up the local days completed since, and days marked dirty
(`RollupDirty`) because late events or a continued visit changed them. Re-running finds
nothing to do. The pipeline marks days dirty in the transaction that stores their events, and
moving the fill state takes the pipeline's lock, so no stored event is missed.

Unique visitors and visits over several days: a row also counts the visitors (and the visits,
with their bounces and durations) that were in the same group on the day before. A range then
holds Σ visitors - Σ carried over its days but the first: exact whenever a visitor hash meets a
value on consecutive days only, which holds because hashes rotate daily and a visit ends after
30 minutes without events. Only a single visit lasting over a day could break it.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from tracker import sessions
from tracker.models import Event, Rollup, RollupDirty, RollupState, Site
from tracker.storage import SessionRecord, insert_rollups

logger = logging.getLogger(__name__)

PAGEVIEW = "pageview"
ENGAGEMENT = "engagement"
PROPS_DIMENSION = "event:props:"
# Rollups of a day wait this long after its end for events still on their way through the buffer.
GRACE = timedelta(minutes=5)
DAY, MONTH = "day", "month"  # RollupDirty periods
ROLLUP_LOCK = 0x526F6C6C  # "Roll": one writer of a site's rollup rows at a time (PostgreSQL)

# Stats property -> where its value comes from: the event's column, or the visit's (session's).
EVENT_DIMENSIONS = {
    "event:page": "path",
    "event:name": "name",
    "event:hostname": "hostname",
    "visit:browser_version": "browser_version",
    "visit:os_version": "os_version",
}
VISIT_DIMENSIONS = {
    "visit:entry_page": "entry_path",
    "visit:exit_page": "exit_path",
    "visit:source": "source",
    "visit:referrer": "referrer",
    "visit:utm_source": "utm_source",
    "visit:utm_medium": "utm_medium",
    "visit:utm_campaign": "utm_campaign",
    "visit:utm_term": "utm_term",
    "visit:utm_content": "utm_content",
    "visit:country": "country",
    "visit:browser": "browser",
    "visit:os": "os",
    "visit:device": "device_type",
}
DIMENSIONS = (*EVENT_DIMENSIONS, *VISIT_DIMENSIONS)
# Also counted within each page, so that an article's breakdowns (one page filter and one of these
# as the breakdown) read rollups rather than every event of a popular page. Only on a day with at
# least PAGE_ROLLUP_MIN_EVENTS events of the page (its `events` count): a long tail of pages read a
# few times a day would otherwise make more rows than events, and their raw events are few.
PAGE_DIMENSIONS = ("visit:source", "visit:referrer", "visit:country", "visit:device", "event:name")
PAGE_ROLLUP_MIN_EVENTS = 20
SITE = ("", "")  # the group of every event: the whole site

COUNTED_FIELDS = (
    "visitors",
    "visits",
    "bounces",
    "duration",
    "pageviews",
    "events",
    "engaged_ms",
    "scroll_sum",
    "scroll_count",
)
CARRIED_FIELDS = ("visitors", "visits", "bounces", "duration")


def prop_text(value: Any) -> str | None:
    """A custom property's value as text, as PostgreSQL's `props->>key` gives it (None for JSON null)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def page_dimension(dimension: str, page: str) -> str:
    """The rollup dimension of a property's values within one page.

    The page is named by a digest: a path may be 2,000 characters long, and the dimension is indexed.
    """
    return f"{dimension}@{hashlib.blake2b(page.encode(), digest_size=12).hexdigest()}"


@dataclass
class _Group:
    """What one day's events of one group (property value) add up to."""

    visitors: set[int] = field(default_factory=set)
    sessions: set[int] = field(default_factory=set)
    pageviews: int = 0
    events: int = 0
    engaged_ms: int = 0
    scroll_sum: int = 0
    scroll_count: int = 0

    def add(self, name: str, visitor: int, session: int, engaged_ms: int | None, scroll: int | None) -> None:
        self.visitors.add(visitor)
        self.sessions.add(session)
        if name == PAGEVIEW:
            self.pageviews += 1
        if name != ENGAGEMENT:
            self.events += 1
        self.engaged_ms += engaged_ms or 0
        if scroll is not None and name == ENGAGEMENT:
            self.scroll_sum += scroll
            self.scroll_count += 1


GroupKey = tuple[str, str]


@dataclass
class _Day:
    """One local day of a site, grouped; kept for the next day's carried counts."""

    groups: dict[GroupKey, _Group]
    hours: dict[int, _Group]
    bounce: dict[int, bool]  # session id -> is it a bounce
    duration: dict[int, int]  # session id -> seconds
    events: int
    # Dimensions within pages that had too few events that day for rows of their own.
    unrolled: frozenset[str] = frozenset()

    def rows(self) -> Iterator[tuple[GroupKey, _Group]]:
        """The groups that get rows."""
        return ((key, group) for key, group in self.groups.items() if key[0] not in self.unrolled)


EVENT_COLUMNS = ("timestamp", "name", "visitor_hash", "session_id", "engaged_ms", "scroll_depth", "props")


def _day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, zone).astimezone(UTC)
    return start, end


def _group_day(site: Site, day: date) -> _Day:
    """Read one local day's events (with their visits) and group them by every property."""
    zone = ZoneInfo(site.timezone)
    start, end = _day_bounds(day, zone)
    event_columns = list(EVENT_DIMENSIONS.values())
    visit_columns = [f"session__{c}" for c in VISIT_DIMENSIONS.values()]
    rows = (
        Event.objects.filter(site_id=site.id, timestamp__gte=start, timestamp__lt=end)
        .values_list(*EVENT_COLUMNS, *event_columns, *visit_columns, "session__is_bounce", "session__duration")
        .iterator(chunk_size=5000)
    )
    groups: dict[GroupKey, _Group] = defaultdict(_Group)
    hours: dict[int, _Group] = defaultdict(_Group)
    bounce: dict[int, bool] = {}
    duration: dict[int, int] = {}
    dimensions = DIMENSIONS
    page_at = dimensions.index("event:page")
    in_page = [(dimensions.index(d), d) for d in PAGE_DIMENSIONS]
    page_groups: dict[str, list[tuple[int, str]]] = {}  # path -> (value position, dimension within the page)
    count = 0
    for row in rows:
        count += 1
        moment, name, visitor, session, engaged, scroll, props = row[:7]
        values = row[7 : 7 + len(dimensions)]
        bounce[session], duration[session] = row[-2], row[-1]
        counted = (name, visitor, session, engaged, scroll)
        groups[SITE].add(*counted)
        hours[moment.astimezone(zone).hour].add(*counted)
        for dimension, value in zip(dimensions, values, strict=True):
            groups[dimension, value or ""].add(*counted)
        page = values[page_at] or ""
        if page not in page_groups:
            page_groups[page] = [(at, page_dimension(d, page)) for at, d in in_page]
        for at, dimension in page_groups[page]:
            groups[dimension, values[at] or ""].add(*counted)
        for key, prop in (props or {}).items():
            text = prop_text(prop)
            if text is not None:
                groups[PROPS_DIMENSION + key, text].add(*counted)
    few = {page for page in page_groups if groups["event:page", page].events < PAGE_ROLLUP_MIN_EVENTS}
    unrolled = frozenset(dimension for page in few for _, dimension in page_groups[page])
    return _Day(groups, hours, bounce, duration, count, unrolled)


def _row(site: Site, period: str, day: date, hour: int, key: GroupKey, group: _Group, grouped: _Day) -> Rollup:
    visits = group.sessions
    return Rollup(
        site_id=site.id,
        period=period,
        day=day,
        hour=hour,
        dimension=key[0],
        value=key[1][:2000],
        visitors=len(group.visitors),
        visits=len(visits),
        bounces=sum(grouped.bounce[s] for s in visits),
        duration=sum(grouped.duration[s] for s in visits),
        pageviews=group.pageviews,
        events=group.events,
        engaged_ms=group.engaged_ms,
        scroll_sum=group.scroll_sum,
        scroll_count=group.scroll_count,
    )


def _carry(row: Rollup, today: _Group, yesterday: _Group | None, grouped: _Day) -> None:
    """Count what of today's group was already in the same group the day before."""
    if yesterday is None:
        return
    again = today.sessions & yesterday.sessions
    row.visitors_carried = len(today.visitors & yesterday.visitors)
    row.visits_carried = len(again)
    row.bounces_carried = sum(grouped.bounce[s] for s in again)
    row.duration_carried = sum(grouped.duration[s] for s in again)


def _day_rows(site: Site, day: date, grouped: _Day, before: _Day) -> list[Rollup]:
    rows = []
    for key, group in grouped.rows():
        row = _row(site, Rollup.Period.DAY, day, 0, key, group, grouped)
        _carry(row, group, before.groups.get(key), grouped)
        rows.append(row)
    rows += [_row(site, Rollup.Period.HOUR, day, hour, SITE, group, grouped) for hour, group in grouped.hours.items()]
    return rows


def _lock_site_rollups(site: Site) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ROLLUP_LOCK, site.id])


def _roll_day(site: Site, day: date, grouped: _Day, before: _Day) -> None:
    """Replace the day's hour and day rows, and take the day off the dirty list, in one transaction."""
    with transaction.atomic():
        _lock_site_rollups(site)
        # Deleted first: a pipeline batch storing events of this day meanwhile waits for this
        # transaction and then marks the day dirty again, so its events are rolled up next run.
        RollupDirty.objects.filter(site=site, period=DAY, day=day).delete()
        Rollup.objects.filter(site=site, day=day, period__in=[Rollup.Period.HOUR, Rollup.Period.DAY]).delete()
        insert_rollups(_day_rows(site, day, grouped, before))
        # Its month's rows are stale from now until summed again; the stats layer skips them meanwhile.
        RollupDirty.objects.bulk_create(
            [RollupDirty(site=site, period=MONTH, day=day.replace(day=1))], ignore_conflicts=True
        )


def _roll_months(site: Site) -> None:
    """Recompute the month rows of the months whose day rows changed, from those day rows."""
    months = RollupDirty.objects.filter(site=site, period=MONTH).values_list("day", flat=True)
    for first in sorted(months):
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        later_days = Q(day__gt=first)
        sums: dict[str, Any] = {name: Coalesce(Sum(name), 0) for name in COUNTED_FIELDS}
        for name in CARRIED_FIELDS:
            # Distinct over the month: a day's carried visitors were counted the day before.
            sums[name] = Coalesce(Sum(name), 0) - Coalesce(Sum(f"{name}_carried", filter=later_days), 0)
            sums[f"{name}_carried"] = Coalesce(Sum(f"{name}_carried", filter=Q(day=first)), 0)
        with transaction.atomic():
            _lock_site_rollups(site)
            days = Rollup.objects.filter(site=site, period=Rollup.Period.DAY, day__gte=first, day__lte=last)
            rows = [
                Rollup(site_id=site.id, period=Rollup.Period.MONTH, day=first, **values)
                for values in days.values("dimension", "value").annotate(**sums)
            ]
            Rollup.objects.filter(site=site, period=Rollup.Period.MONTH, day=first).delete()
            insert_rollups(rows)
            RollupDirty.objects.filter(site=site, period=MONTH, day=first).delete()


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def _advance(site: Site, now: datetime) -> date:
    """Move the site's fill state to the last completed local day, marking the days it passes dirty."""
    until = local_day(now - GRACE, site.timezone)
    with transaction.atomic():
        # Taken so no pipeline batch is between reading the old fill state and committing its events.
        sessions.lock_session_writes()
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
    dirty = set(RollupDirty.objects.filter(site=site, period=DAY, day__lt=until).values_list("day", flat=True))
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
    before: _Day | None = None
    previous: date | None = None
    iterator: Iterator[date] = iter(days)
    for day in progress(iterator, len(days)) if progress else iterator:
        if before is None or previous != day - timedelta(days=1):
            before = _group_day(site, day - timedelta(days=1))
        grouped = _group_day(site, day)
        _roll_day(site, day, grouped, before)
        result.events += grouped.events
        result.rows += sum(1 for _ in grouped.rows()) + len(grouped.hours)
        before, previous = grouped, day
    _roll_months(site)
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

    Called in the pipeline's transaction, under its lock, with the visits a batch created or
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
