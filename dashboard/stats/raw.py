"""Numbers straight from raw events and sessions: the not-yet-rolled-up tail, and the reference
that rollup-based answers must equal.

Event filters (`event:*`) select events; visit filters (`visit:*`) select the visits those
events belong to, by the session's own dimensions (its source is where the visit came from,
even for its later pages).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Trunc

from dashboard.stats.query import PROPERTIES, DateRange, Filter, Operator, StatsQuery, prop_key
from tracker.models import Event, Session

PAGEVIEW = "pageview"
ENGAGEMENT = "engagement"


@dataclass(frozen=True)
class MetricValue:
    value: float | int | None
    comparison: float | int | None = None
    change: float | int | None = None  # percent; for bounce_rate, percentage points


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
    "engaged_ms": Sum("engaged_ms"),
    "scroll_depth": Avg("scroll_depth", filter=Q(name=ENGAGEMENT)),
}


def _metrics(counts: dict[str, Any], bounces: int, duration_sum: float) -> dict[str, float | int | None]:
    """Turn event counts and the matched visits' bounces and total duration into the metrics."""
    visits = counts["visits"]
    return {
        "visitors": counts["visitors"],
        "visits": visits,
        "pageviews": counts["pageviews"],
        "views_per_visit": round(counts["pageviews"] / visits, 2) if visits else 0,
        "bounce_rate": round(100 * bounces / visits) if visits else 0,
        "visit_duration": round(duration_sum / visits) if visits else 0,
        "events": counts["events"],
        "engaged_time": round((counts["engaged_ms"] or 0) / 1000 / visits) if visits else 0,
        "scroll_depth": round(counts["scroll_depth"]) if counts["scroll_depth"] is not None else None,
    }


def _totals(query: StatsQuery, dates: DateRange) -> dict[str, float | int | None]:
    events = events_in(query, dates)
    counts = events.aggregate(**EVENT_COUNTS)
    visits = Session.objects.filter(id__in=events.values("session_id")).aggregate(
        bounces=Count("id", filter=Q(is_bounce=True)), duration=Sum("duration")
    )
    return _metrics(counts, visits["bounces"], visits["duration"] or 0)


def _change(metric: str, value: float | int | None, before: float | int | None) -> float | int | None:
    if value is None or before is None:
        return None
    if metric == "bounce_rate":
        return value - before
    if before == 0:
        return 100 if value else 0
    return round(100 * (value - before) / before)


def aggregate(query: StatsQuery) -> dict[str, MetricValue]:
    """Return each requested metric over the query's range, with the comparison when asked."""
    now = _totals(query, query.dates)
    if query.comparison is None:
        return {metric: MetricValue(now[metric]) for metric in query.metrics}
    before = _totals(query, query.comparison)
    return {
        metric: MetricValue(now[metric], before[metric], _change(metric, now[metric], before[metric]))
        for metric in query.metrics
    }


def _grouped(events: QuerySet[Event], key: Any) -> dict[Any, dict[str, float | int | None]]:
    """Return the metrics per value of `key` (an expression over events).

    A visit counts towards every group one of its matching events falls in; bounces and
    durations are taken from those visits.
    """
    keyed = events.annotate(group_key=key)
    counts = {row.pop("group_key"): row for row in keyed.values("group_key").annotate(**EVENT_COUNTS)}
    visit_groups: dict[int, set[Any]] = defaultdict(set)
    for group, session_id in keyed.values_list("group_key", "session_id").distinct():
        visit_groups[session_id].add(group)
    bounces: dict[Any, int] = defaultdict(int)
    durations: dict[Any, float] = defaultdict(float)
    for session_id, is_bounce, duration in Session.objects.filter(id__in=list(visit_groups)).values_list(
        "id", "is_bounce", "duration"
    ):
        for group in visit_groups[session_id]:
            bounces[group] += is_bounce
            durations[group] += duration
    return {group: _metrics(row, bounces[group], durations[group]) for group, row in counts.items()}


def _buckets(dates: DateRange, interval: str) -> list[date | datetime]:
    """Every bucket start of the range, in the site's time zone, so empty buckets show as zeros."""
    zone = ZoneInfo(dates.timezone)
    if interval == "hour":
        start, end = (moment.astimezone(zone) for moment in dates.utc_bounds())
        hours = int((end - start).total_seconds() // 3600)
        return [(start + timedelta(hours=h)).replace(tzinfo=None) for h in range(hours)]
    days = [dates.first + timedelta(days=n) for n in range(dates.days)]
    if interval == "day":
        return list(days)
    if interval == "week":
        return sorted({day - timedelta(days=day.weekday()) for day in days})
    return sorted({day.replace(day=1) for day in days})


def timeseries(query: StatsQuery) -> list[dict[str, Any]]:
    """Return one row per interval bucket (local time): {"date": start, metric: value, ...}."""
    zone = ZoneInfo(query.dates.timezone)
    truncated = Trunc("timestamp", query.interval, tzinfo=zone)
    groups = _grouped(events_in(query, query.dates), truncated)
    by_bucket: dict[date | datetime, dict[str, float | int | None]] = {}
    for moment, metrics in groups.items():
        local = moment.astimezone(zone).replace(tzinfo=None)
        by_bucket[local if query.interval == "hour" else local.date()] = metrics
    empty = _metrics(dict.fromkeys(EVENT_COUNTS, 0) | {"scroll_depth": None, "engaged_ms": 0}, 0, 0)
    return [
        {"date": bucket, **{m: by_bucket.get(bucket, empty)[m] for m in query.metrics}}
        for bucket in _buckets(query.dates, query.interval)
    ]


def _breakdown_key(prop: str) -> Any:
    key = prop_key(prop)
    # Custom property values are grouped as text, whatever JSON type they were sent as.
    return KeyTextTransform(key, "props") if key is not None else F(_column(prop))


def breakdown(query: StatsQuery, *, limit: int = 100, page: int = 1) -> list[dict[str, Any]]:
    """Return rows {property value, metrics} for the query's breakdown property, largest first."""
    if query.breakdown is None:
        raise ValueError("a breakdown query needs a property")
    events = events_in(query, query.dates)
    key = prop_key(query.breakdown)
    if key is not None:
        events = events.filter(props__has_key=key)
    elif query.breakdown in ("event:page", "visit:entry_page", "visit:exit_page"):
        events = events.filter(name=PAGEVIEW)
    groups = _grouped(events, _breakdown_key(query.breakdown))
    first = query.metrics[0]
    ordered = sorted(groups.items(), key=lambda item: (-(item[1][first] or 0), str(item[0])))
    start = (page - 1) * limit
    name = query.breakdown.rsplit(":", 1)[-1]
    return [
        {name: value, **{m: metrics[m] for m in query.metrics}} for value, metrics in ordered[start : start + limit]
    ]


def realtime_visitors(site_id: int, now: datetime, minutes: int = 5) -> int:
    """Return how many visitors sent an event in the last few minutes."""
    since = now - timedelta(minutes=minutes)
    return Event.objects.filter(site_id=site_id, timestamp__gte=since, timestamp__lte=now).aggregate(
        n=Count("visitor_hash", distinct=True)
    )["n"]
