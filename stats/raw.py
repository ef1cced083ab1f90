"""Counts straight from raw events and sessions: the not-yet-rolled-up tail, and the reference
that rollup-based answers must equal.

Event filters (`event:*`) select events; visit filters (`visit:*`) select the visits those
events belong to, by the session's own dimensions (its source is where the visit came from,
even for its later pages).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from functools import reduce
from itertools import groupby
from operator import itemgetter, or_
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BigIntegerField, BooleanField, Case, Count, F, Func, Q, QuerySet, Sum, Value, When
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Trunc

from sites.models import Goal
from stats import goals
from stats.counts import Counts, reads_visits
from stats.dimensions import (
    BY_NAME,
    ENGAGEMENT,
    GOAL,
    PAGEVIEW,
    PROP_KEY_SAMPLE,
    PROPS_PREFIX,
    prop_key,
    prop_text,
    ranked_prop_keys,
)
from stats.goals import path_pattern
from stats.query import DateRange, Filter, Operator, StatsQuery, seconds_of
from tracker.models import Event, Session


def _column(prop: str) -> str:
    """Return the lookup path from an event to a (not custom) property; a visit property is its session's."""
    dimension = BY_NAME[prop]
    return f"session__{dimension.column}" if dimension.reads_session else dimension.column


def _lookup(prop: str, lookup: str, value: Any) -> Q:
    """Return `prop <lookup> value` as a condition.

    A custom property's key goes into the JSON path as one key, never through the ORM's `__`
    syntax, so no key can name a nested path or another lookup.
    """
    key = prop_key(prop)
    if key is None:
        return Q(**{f"{_column(prop)}__{lookup}": value})
    path = KeyTransform(key, "props")
    lookup_class = path.get_lookup(lookup)
    assert lookup_class is not None
    return Q(lookup_class(path, value))


def completes(goal: Goal) -> Q:
    """The events that complete the goal (stats/goals.py says what that means)."""
    if goal.goal_type == Goal.Type.PAGE:
        if "*" not in goal.page_path:
            return Q(name=PAGEVIEW, path=goal.page_path)
        return Q(name=PAGEVIEW, path__regex=path_pattern(goal.page_path))
    done = Q(name=goal.event_name)
    return done & _lookup(f"{PROPS_PREFIX}{goal.prop_key}", "in", [goal.prop_value]) if goal.prop_key else done


def _condition(flt: Filter, site_id: int) -> Q:
    if flt.name == GOAL:
        # A goal name the site does not have is completed by no event.
        matches = reduce(or_, map(completes, goals.of_site(site_id, flt.values)), Q(pk__in=[]))
    elif flt.operator is Operator.CONTAINS:
        return reduce(or_, (_lookup(flt.name, "icontains", value) for value in flt.values))
    else:
        matches = _lookup(flt.name, "in", list(flt.values))
    return ~matches if flt.operator is Operator.IS_NOT else matches


def events_in(query: StatsQuery, dates: DateRange) -> QuerySet[Event]:
    """Return the site's events in the date range that pass the query's filters."""
    start, end = dates.utc_bounds()
    events = Event.objects.filter(site_id=query.site_id, timestamp__gte=start, timestamp__lt=end)
    for flt in query.filters:
        events = events.filter(_condition(flt, query.site_id))
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
    return _totals(events_in(query, dates), reads_visits(query.metrics))


def _totals(events: QuerySet[Event], with_visits: bool) -> Counts:
    return Counts(**events.aggregate(**EVENT_COUNTS), **(_visit_totals(events) if with_visits else {}))


def _visit_totals(events: QuerySet[Event]) -> dict[str, int]:
    """Bounces and total duration of the visits these events belong to."""
    return Session.objects.filter(id__in=events.values("session_id")).aggregate(
        bounces=Count("id", filter=Q(is_bounce=True)), duration=Sum("duration", default=0)
    )


def _by_goal(query: StatsQuery, events: QuerySet[Event]) -> dict[str, Counts]:
    """The counts of each of the site's goals that some event completed, each over its own events (a
    visit may complete several). A query per goal, which its index narrows (one pass over the events
    of every goal, counting each goal's distinct visitors apart, is slower on PostgreSQL); the visits'
    bounces and durations, another per goal, only when a metric needs them."""
    with_visits = reads_visits(query.metrics)
    per_goal = {}
    for goal in goals.of_site(query.site_id):
        completed = events.filter(completes(goal))
        counted = completed.aggregate(**EVENT_COUNTS)
        if counted["events"]:
            per_goal[goal.display_name] = Counts(**counted, **(_visit_totals(completed) if with_visits else {}))
    return per_goal


def _wall(key: Any) -> Any:
    """A group key as raw SQL gives it on every database: a truncated time as its wall-clock text."""
    return str(key.replace(tzinfo=None)) if isinstance(key, datetime) else key


def _visit_sums(keyed: QuerySet[Any]) -> dict[Any, tuple[int, int]]:
    """Return (bounces, total duration) per group (keyed by _wall) over the distinct visits in the group.

    Joined and summed in the database: on a busy day the (group, visit) pairs are too many to ship.
    """
    try:
        sql, params = keyed.values_list("group_key", "session_id").distinct().query.sql_with_params()
    except EmptyResultSet:  # a filter no event can pass: a goal the site does not have
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT x.group_key, SUM(CASE WHEN s.is_bounce THEN 1 ELSE 0 END), SUM(s.duration) "  # noqa: S608
            f"FROM ({sql}) AS x JOIN tracker_session AS s ON s.id = x.session_id GROUP BY x.group_key",
            params,
        )
        return {_wall(group): (bounces, duration) for group, bounces, duration in cursor.fetchall()}


def _grouped(events: QuerySet[Event], key: Any, with_visits: bool) -> dict[Any, Counts]:
    """Return the counts per value of `key` (an expression over events).

    A visit counts towards every group one of its matching events falls in; bounces and
    durations are taken from those visits, when asked for.
    """
    keyed = events.annotate(group_key=key)
    counts = {row.pop("group_key"): row for row in keyed.values("group_key").annotate(**EVENT_COUNTS)}
    visits = _visit_sums(keyed) if with_visits else {}
    grouped = {}
    for group, row in counts.items():
        bounces, duration = visits.get(_wall(group), (0, 0))
        grouped[group] = Counts(**row, bounces=bounces, duration=duration)
    return grouped


def by_bucket(query: StatsQuery, dates: DateRange) -> dict[date | datetime | int, Counts]:
    """Return the counts per interval bucket (local time) that has events: a date, a naive datetime for
    hours, or for an interval of seconds (`"300s"`) the bucket's start in Unix seconds."""
    seconds = seconds_of(query.interval)
    if seconds is not None:
        return {start: counts for start, counts in by_seconds(query, dates, seconds).items()}
    zone = ZoneInfo(dates.timezone)
    truncated = Trunc("timestamp", query.interval, tzinfo=zone)
    buckets: dict[date | datetime | int, Counts] = {}
    for moment, counts in _grouped(events_in(query, dates), truncated, reads_visits(query.metrics)).items():
        local = moment.astimezone(zone).replace(tzinfo=None)
        buckets[local if query.interval == "hour" else local.date()] = counts
    return buckets


class EpochBucket(Func):
    """The start, in Unix seconds, of the fixed-length bucket a time falls in; buckets are aligned to the epoch."""

    output_field = BigIntegerField()

    def __init__(self, expression: Any, seconds: int) -> None:
        super().__init__(expression)
        self.seconds = int(seconds)

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, Any]:
        column, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "sqlite":
            epoch = f"CAST(strftime('%%s', {column}) AS INTEGER)"
        else:
            epoch = f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"
        n = self.seconds
        # SQL's % truncates towards zero; this floors, so times before 1970 land in the right bucket.
        return f"({epoch} - ((({epoch}) %% {n}) + {n}) %% {n})", (*params, *params, *params)


def by_seconds(query: StatsQuery, dates: DateRange, seconds: int) -> dict[int, Counts]:
    """Return the counts per bucket of `seconds` that has events, keyed by its start in Unix seconds.

    Buckets are aligned to the Unix epoch, not to the range or to local midnight.
    """
    if seconds < 1:
        raise ValueError("a bucket lasts at least one second")
    return {
        int(start): counts
        for start, counts in _grouped(
            events_in(query, dates), EpochBucket("timestamp", seconds), reads_visits(query.metrics)
        ).items()
    }


def event_rows(query: StatsQuery, dates: DateRange, fields: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """Yield the given columns of the events in the range that pass the filters, oldest first, ties as
    stored; read a chunk at a time (a server-side cursor on PostgreSQL)."""
    return events_in(query, dates).order_by("timestamp", "id").values_list(*fields).iterator(chunk_size=2000)


def by_value(query: StatsQuery, dates: DateRange) -> dict[str, Counts]:
    """Return the counts per value of the query's breakdown property."""
    assert query.breakdown is not None
    events = events_in(query, dates)
    if query.breakdown == GOAL:
        return _by_goal(query, events)
    key = prop_key(query.breakdown)
    if key is None:
        grouped = _grouped(events, F(_column(query.breakdown)), reads_visits(query.metrics))
        return {value or "": counts for value, counts in grouped.items()}
    # Custom property values are grouped as text, whatever JSON type they were sent as.
    grouped = _grouped(events.filter(props__has_key=key), KeyTextTransform(key, "props"), reads_visits(query.metrics))
    return {str(prop_text(value)): counts for value, counts in grouped.items()}


def funnel_reached(query: StatsQuery, dates: DateRange, steps: Sequence[Goal]) -> list[int]:
    """Return the visitors who reached each step: completed its goal after the steps before it, in one
    visit, with other events allowed between them. A visitor counts once, at their best visit's step;
    one event completes one step.

    Only the events that complete a step are read, a visit at a time (oldest first; events of the same
    moment in the order of their uuids, which every store can follow), each with a flag per step
    computed by the database, so steps match exactly as the goal filters do.
    """
    flags = {
        f"step_{n}": Case(When(completes(goal), then=Value(True)), default=Value(False), output_field=BooleanField())
        for n, goal in enumerate(steps)
    }
    events = events_in(query, dates).filter(reduce(or_, map(completes, steps)))
    rows = (
        events.annotate(**flags)
        .order_by("session_id", "timestamp", "uuid")
        .values_list("session_id", "visitor_hash", *flags)
        .iterator(chunk_size=5000)
    )
    return steps_reached(rows, len(steps))


def steps_reached(rows: Iterable[Sequence[Any]], steps: int) -> list[int]:
    """The visitors reaching each step, from the events that complete some step as rows of (visit,
    visitor, a flag per step), a visit at a time, oldest first. A visitor counts once, at their best
    visit's step; one event completes one step."""
    best: dict[int, int] = {}  # visitor -> steps reached in their best visit
    for _, visit in groupby(rows, key=itemgetter(0)):
        completing = list(visit)  # a visit's events that complete a step: a handful
        reached = 0
        for _, _, *completed in completing:
            if reached < steps and completed[reached]:
                reached += 1
        visitor = completing[0][1]
        best[visitor] = max(best.get(visitor, 0), reached)
    return [sum(1 for most in best.values() if most > n) for n in range(steps)]


def prop_keys(query: StatsQuery, dates: DateRange) -> list[str]:
    """The custom property keys of the latest PROP_KEY_SAMPLE events in the range that carry some and
    pass the filters, most used first."""
    carrying = events_in(query, dates).exclude(props={}).order_by("-timestamp")
    sample = carrying.values_list("props", flat=True)[:PROP_KEY_SAMPLE]
    return ranked_prop_keys(Counter(key for props in sample for key in props or {}))


def realtime_visitors(site_id: int, now: datetime, minutes: int = 5) -> int:
    """Return how many visitors sent an event in the last few minutes."""
    since = now - timedelta(minutes=minutes)
    return Event.objects.filter(site_id=site_id, timestamp__gte=since, timestamp__lte=now).aggregate(
        n=Count("visitor_hash", distinct=True)
    )["n"]
