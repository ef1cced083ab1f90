"""Numbers straight from raw events and sessions: the not-yet-rolled-up tail, and the reference
that rollup-based answers must equal.

Event filters (`event:*`) select events; visit filters (`visit:*`) select the visits those
events belong to, by the session's own dimensions (its source is where the visit came from,
even for its later pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Avg, Count, Q, QuerySet, Sum

from dashboard.stats.query import PROPERTIES, DateRange, Filter, Operator, StatsQuery
from tracker.models import Event, Session

PAGEVIEW = "pageview"
ENGAGEMENT = "engagement"


@dataclass(frozen=True)
class MetricValue:
    value: float | int | None
    comparison: float | int | None = None
    change: float | int | None = None  # percent; for bounce_rate, percentage points


def _column(flt: Filter) -> str:
    if flt.prop_key is not None:
        return f"props__{flt.prop_key}"
    event_column, session_column = PROPERTIES[flt.name]
    if flt.name.startswith("visit:") and session_column is not None:
        return f"session__{session_column}"
    return event_column


def _condition(flt: Filter) -> Q:
    column = _column(flt)
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


def _totals(query: StatsQuery, dates: DateRange) -> dict[str, float | int | None]:
    events = events_in(query, dates)
    counts = events.aggregate(
        visitors=Count("visitor_hash", distinct=True),
        visits=Count("session_id", distinct=True),
        pageviews=Count("id", filter=Q(name=PAGEVIEW)),
        events=Count("id", filter=~Q(name=ENGAGEMENT)),
        engaged_ms=Sum("engaged_ms"),
        scroll_depth=Avg("scroll_depth", filter=Q(name=ENGAGEMENT)),
    )
    visits = Session.objects.filter(id__in=events.values("session_id")).aggregate(
        bounces=Count("id", filter=Q(is_bounce=True)), duration=Avg("duration")
    )
    n_visits = counts["visits"]
    return {
        "visitors": counts["visitors"],
        "visits": n_visits,
        "pageviews": counts["pageviews"],
        "views_per_visit": round(counts["pageviews"] / n_visits, 2) if n_visits else 0,
        "bounce_rate": round(100 * visits["bounces"] / n_visits) if n_visits else 0,
        "visit_duration": round(visits["duration"]) if visits["duration"] is not None else 0,
        "events": counts["events"],
        "engaged_time": round((counts["engaged_ms"] or 0) / 1000 / n_visits) if n_visits else 0,
        "scroll_depth": round(counts["scroll_depth"]) if counts["scroll_depth"] is not None else None,
    }


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
