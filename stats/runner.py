"""stats.run(query): the one way every interface gets numbers, as Plausible's QueryRunner.

It counts the query's range through a CountSource (by default the event store's where one is
configured, else ROLLED, which plans rollups against raw events itself), counts the comparison range
when the query has one, and turns the counts into metrics: totals with their comparison and change
(an aggregate), a row per interval bucket with the comparison's buckets beside them (a timeseries),
or a row per property value, largest first, a page of them (a breakdown). The REST and GraphQL APIs,
the dashboard and the µAnalytics API only parse their parameters into a StatsQuery and render the Result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from stats import imported, raw, sources
from stats.counts import Counts, MetricValue, compared, metrics
from stats.dimensions import GOAL, shown
from stats.query import DateRange, Kind, StatsQuery, day_bucket, seconds_of
from stats.sources import CountSource

Row = dict[str, Any]
Bucket = date | datetime | int


@dataclass(frozen=True)
class Result:
    """What a query counted.

    - aggregate: `values`, each metric with its comparison and change when compared;
    - timeseries: `rows` of (bucket start, metrics), and `comparison_rows` of the comparison's buckets;
    - breakdown: `rows` of (property value, metrics) for the page asked for, and whether `more` follow.

    `imported` says whether imported aggregates were added: None when the query did not ask for them,
    False when it asked but they cannot answer it (stats/imported.py).
    """

    query: StatsQuery
    values: dict[str, MetricValue] = field(default_factory=dict)
    rows: list[tuple[Any, Row]] = field(default_factory=list)
    comparison_rows: list[tuple[Any, Row]] | None = None
    more: bool = False
    imported: bool | None = None


def run(query: StatsQuery, *, source: CountSource | None = None) -> Result:
    source = source or sources.configured()
    included = imported.answers(query) if query.with_imported else None
    if included:
        source = imported.ImportedSource(source)
    if query.kind is Kind.TIMESERIES:
        result = _timeseries(query, source)
    elif query.kind is Kind.BREAKDOWN:
        result = _breakdown(query, source)
    else:
        result = _aggregate(query, source)
    return replace(result, imported=included)


def _converts(query: StatsQuery) -> bool:
    """Whether a conversion rate is asked for and has a goal to count (without one it is null)."""
    return "conversion_rate" in query.metrics and query.has_goal


def _base(query: StatsQuery, dates: DateRange, source: CountSource) -> int | None:
    """The visitors a conversion rate divides by: those of the query without its goal; None unless asked."""
    return source.totals(query.goal_free, dates).visitors if _converts(query) else None


def _aggregate(query: StatsQuery, source: CountSource) -> Result:
    now = source.totals(query, query.dates)
    base = _base(query, query.dates, source)
    if query.comparison is None:
        values = metrics(now, base)
        return Result(query, values={name: MetricValue(values[name]) for name in query.metrics})
    before = source.totals(query, query.comparison)
    bases = (base, _base(query, query.comparison, source))
    return Result(query, values=compared(now, before, query.metrics, bases))


def buckets(dates: DateRange, interval: str) -> list[date | datetime]:
    """Every bucket start of the range, in the site's time zone, so empty buckets show as zeros."""
    if interval == "hour":
        zone = ZoneInfo(dates.timezone)
        start, end = (moment.astimezone(zone) for moment in dates.utc_bounds())
        hours = int((end - start).total_seconds() // 3600)
        return [(start + timedelta(hours=h)).replace(tzinfo=None) for h in range(hours)]
    return sorted({day_bucket(dates.first + timedelta(days=n), interval) for n in range(dates.days)})


def _series(query: StatsQuery, dates: DateRange, source: CountSource) -> list[tuple[Any, Row]]:
    """A row per bucket: every bucket of the range, or for a sparse query (and buckets of seconds, which
    can be countless) only those that hold events."""
    counted = source.by_bucket(query, dates)
    bases = source.by_bucket(query.goal_free, dates) if _converts(query) else None
    sparse = query.sparse or seconds_of(query.interval) is not None
    keys: Sequence[Bucket] = sorted(counted) if sparse else buckets(dates, query.interval)
    empty = Counts()
    rows = []
    for bucket in keys:
        base = None if bases is None else bases.get(bucket, empty).visitors
        values = metrics(counted.get(bucket, empty), base)
        rows.append((bucket, {name: values[name] for name in query.metrics}))
    return rows


def _timeseries(query: StatsQuery, source: CountSource) -> Result:
    rows = _series(query, query.dates, source)
    before = None if query.comparison is None else _series(query, query.comparison, source)
    return Result(query, rows=rows, comparison_rows=before)


def _breakdown_bases(query: StatsQuery, source: CountSource) -> dict[str, int] | int | None:
    """The visitors each row's conversion rate divides by: per value, or for goals the query's total."""
    if not _converts(query):
        return None
    if query.breakdown == GOAL:
        return source.totals(query.goal_free, query.dates).visitors
    return {value: counts.visitors for value, counts in source.by_value(query.goal_free, query.dates).items()}


def _breakdown(query: StatsQuery, source: CountSource) -> Result:
    bases = _breakdown_bases(query, source)
    values = {
        value: metrics(counts, bases.get(value, 0) if isinstance(bases, dict) else bases)
        for value, counts in source.by_value(query, query.dates).items()
    }
    first = query.metrics[0]
    ordered = sorted(values.items(), key=lambda item: (-(item[1][first] or 0), item[0]))
    if query.limit is None:
        start, end = 0, len(ordered)
    else:
        start = (query.page - 1) * query.limit
        end = start + query.limit
    prop = str(query.breakdown)
    rows = [(shown(prop, value), {name: row[name] for name in query.metrics}) for value, row in ordered[start:end]]
    return Result(query, rows=rows, more=len(ordered) > end)


def realtime_visitors(site_id: int, now: datetime, minutes: int = 5) -> int:
    """Return how many visitors sent an event in the last few minutes (never from rollups)."""
    return sources.configured().realtime_visitors(site_id, now, minutes)


def prop_keys(query: StatsQuery) -> list[str]:
    """Return the custom property keys in use in the query's range and filters, most used first (from a
    sample of the latest events: keys to break down by; the breakdowns count every event)."""
    return sources.configured().prop_keys(query, query.dates)


def event_rows(query: StatsQuery, fields: Sequence[str]) -> Any:
    """Yield the given columns of the query's events, oldest first (the µAnalytics API lists them)."""
    return raw.event_rows(query, query.dates, fields)
