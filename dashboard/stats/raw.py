"""Counts straight from raw events and sessions: the not-yet-rolled-up tail, and the reference
that rollup-based answers must equal.

Event filters (`event:*`) select events; visit filters (`visit:*`) select the visits those
events belong to, by the session's own dimensions (its source is where the visit came from,
even for its later pages).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Trunc

from dashboard.stats.counts import Counts
from dashboard.stats.query import PROPERTIES, DateRange, Filter, Operator, StatsQuery, prop_key
from tracker.models import Event, Session
from tracker.rollups import ENGAGEMENT, PAGEVIEW, prop_text


def _column(prop: str) -> str:
    """Return the lookup path from an event to a property; a visit property is its session's."""
    key = prop_key(prop)
    if key is not None:
        return f"props__{key}"
    event_column, session_column = PROPERTIES[prop]
    if prop.startswith("visit:") and session_column is not None:
        return f"session__{session_column}"
    return event_column


def _condition(flt: Filter) -> Q:
    column = _column(flt.name)
    if flt.operator is Operator.CONTAINS:
        return reduce(or_, (Q(**{f"{column}__icontains": value}) for value in flt.values))
    matches = Q(**{f"{column}__in": list(flt.values)})
    return ~matches if flt.operator is Operator.IS_NOT else matches


def events_in(query: StatsQuery, dates: DateRange) -> QuerySet[Event]:
    """Return the site's events in the date range that pass the query's filters."""
    start, end = dates.utc_bounds()
    events = Event.objects.filter(site_id=query.site_id, timestamp__gte=start, timestamp__lt=end)
    for flt in query.filters:
        events = events.filter(_condition(flt))
    return events


EVENT_COUNTS: dict[str, Any] = {
    "visitors": Count("visitor_hash", distinct=True),
    "visits": Count("session_id", distinct=True),
    "pageviews": Count("id", filter=Q(name=PAGEVIEW)),
    "events": Count("id", filter=~Q(name=ENGAGEMENT)),
    "engaged_ms": Sum("engaged_ms", default=0),
    "scroll_sum": Sum("scroll_depth", filter=Q(name=ENGAGEMENT), default=0),
    "scroll_count": Count("scroll_depth", filter=Q(name=ENGAGEMENT)),
}


def totals(query: StatsQuery, dates: DateRange) -> Counts:
    """Return the counts of the events in the range that pass the query's filters."""
    events = events_in(query, dates)
    counts = events.aggregate(**EVENT_COUNTS)
    visits = Session.objects.filter(id__in=events.values("session_id")).aggregate(
        bounces=Count("id", filter=Q(is_bounce=True)), duration=Sum("duration", default=0)
    )
    return Counts(**counts, **visits)


def _grouped(events: QuerySet[Event], key: Any) -> dict[Any, Counts]:
    """Return the counts per value of `key` (an expression over events).

    A visit counts towards every group one of its matching events falls in; bounces and
    durations are taken from those visits.
    """
    keyed = events.annotate(group_key=key)
    counts = {row.pop("group_key"): row for row in keyed.values("group_key").annotate(**EVENT_COUNTS)}
    visit_groups: dict[int, set[Any]] = defaultdict(set)
    for group, session_id in keyed.values_list("group_key", "session_id").distinct():
        visit_groups[session_id].add(group)
    bounces: dict[Any, int] = defaultdict(int)
    durations: dict[Any, int] = defaultdict(int)
    for session_id, is_bounce, duration in Session.objects.filter(id__in=list(visit_groups)).values_list(
        "id", "is_bounce", "duration"
    ):
        for group in visit_groups[session_id]:
            bounces[group] += is_bounce
            durations[group] += duration
    return {group: Counts(**row, bounces=bounces[group], duration=durations[group]) for group, row in counts.items()}


def by_bucket(query: StatsQuery, dates: DateRange) -> dict[date | datetime, Counts]:
    """Return the counts per interval bucket (local time) that has events: a date, or a naive datetime for hours."""
    zone = ZoneInfo(dates.timezone)
    truncated = Trunc("timestamp", query.interval, tzinfo=zone)
    buckets: dict[date | datetime, Counts] = {}
    for moment, counts in _grouped(events_in(query, dates), truncated).items():
        local = moment.astimezone(zone).replace(tzinfo=None)
        buckets[local if query.interval == "hour" else local.date()] = counts
    return buckets


def by_value(query: StatsQuery, dates: DateRange) -> dict[str, Counts]:
    """Return the counts per value of the query's breakdown property."""
    assert query.breakdown is not None
    events = events_in(query, dates)
    key = prop_key(query.breakdown)
    if key is None:
        return {value or "": counts for value, counts in _grouped(events, F(_column(query.breakdown))).items()}
    # Custom property values are grouped as text, whatever JSON type they were sent as.
    grouped = _grouped(events.filter(props__has_key=key), KeyTextTransform(key, "props"))
    return {str(prop_text(value)): counts for value, counts in grouped.items()}


def realtime_visitors(site_id: int, now: datetime, minutes: int = 5) -> int:
    """Return how many visitors sent an event in the last few minutes."""
    since = now - timedelta(minutes=minutes)
    return Event.objects.filter(site_id=site_id, timestamp__gte=since, timestamp__lte=now).aggregate(
        n=Count("visitor_hash", distinct=True)
    )["n"]
