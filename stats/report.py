"""The stats layer's answers: metrics over a range, a timeseries, a breakdown.

They are computed from Counts, by default from `rolled` (rollups for rolled-up days, raw events
for the rest); `raw` answers the same questions from raw events alone, as the reference.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from stats import raw, rolled
from stats.counts import Counts, MetricValue, change, metrics
from stats.query import DateRange, StatsQuery

Row = dict[str, Any]


def aggregate(query: StatsQuery, *, source: ModuleType = rolled) -> dict[str, MetricValue]:
    """Return each requested metric over the query's range, with the comparison when asked."""
    now = metrics(source.totals(query, query.dates))
    if query.comparison is None:
        return {metric: MetricValue(now[metric]) for metric in query.metrics}
    before = metrics(source.totals(query, query.comparison))
    return {
        metric: MetricValue(now[metric], before[metric], change(metric, now[metric], before[metric]))
        for metric in query.metrics
    }


def buckets(dates: DateRange, interval: str) -> list[date | datetime]:
    """Every bucket start of the range, in the site's time zone, so empty buckets show as zeros."""
    if interval == "hour":
        zone = ZoneInfo(dates.timezone)
        start, end = (moment.astimezone(zone) for moment in dates.utc_bounds())
        hours = int((end - start).total_seconds() // 3600)
        return [(start + timedelta(hours=h)).replace(tzinfo=None) for h in range(hours)]
    days = [dates.first + timedelta(days=n) for n in range(dates.days)]
    if interval == "day":
        return list(days)
    if interval == "week":
        return sorted({day - timedelta(days=day.weekday()) for day in days})
    return sorted({day.replace(day=1) for day in days})


def timeseries(query: StatsQuery, *, source: ModuleType = rolled) -> list[Row]:
    """Return one row per interval bucket (local time): {"date": start, metric: value, ...}."""
    counted = source.by_bucket(query, query.dates)
    empty = Counts()
    rows = []
    for bucket in buckets(query.dates, query.interval):
        values = metrics(counted.get(bucket, empty))
        rows.append({"date": bucket, **{m: values[m] for m in query.metrics}})
    return rows


def breakdown_values(
    query: StatsQuery, *, limit: int = 100, page: int = 1, source: ModuleType = rolled
) -> list[tuple[str, Row]]:
    """Return (property value, {metric: value}) for the query's breakdown property, largest first."""
    if query.breakdown is None:
        raise ValueError("a breakdown query needs a property")
    values = {value: metrics(counts) for value, counts in source.by_value(query, query.dates).items()}
    first = query.metrics[0]
    ordered = sorted(values.items(), key=lambda item: (-(item[1][first] or 0), item[0]))
    start = (page - 1) * limit
    return [(value, {m: row[m] for m in query.metrics}) for value, row in ordered[start : start + limit]]


def breakdown(query: StatsQuery, *, limit: int = 100, page: int = 1, source: ModuleType = rolled) -> list[Row]:
    """Return rows {property value, metrics} for the query's breakdown property, largest first.

    A row names the value by the property's last part (`page`, `source`, a custom property's key),
    as Plausible's API does.
    """
    rows = breakdown_values(query, limit=limit, page=page, source=source)
    name = str(query.breakdown).rsplit(":", 1)[-1]
    return [{name: value, **values} for value, values in rows]


def aggregate_results(values: dict[str, MetricValue], *, compared: bool) -> dict[str, dict[str, Any]]:
    """Aggregate values in the Stats API's shape: {metric: {"value", ["comparison_value", "change"]}}."""
    if not compared:
        return {metric: {"value": v.value} for metric, v in values.items()}
    return {
        metric: {"value": v.value, "comparison_value": v.comparison, "change": v.change} for metric, v in values.items()
    }


def realtime_visitors(site_id: int, now: datetime, minutes: int = 5) -> int:
    """Return how many visitors sent an event in the last few minutes (always from raw events)."""
    return raw.realtime_visitors(site_id, now, minutes)
