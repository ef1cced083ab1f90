"""Imported aggregates (imports/) added to a query's counts, as Plausible adds its imported tables.

Imported rows count only on the days before the site's own data begins (its first day with events, or
with rollups where retention deleted those events), so no day is counted twice, however an import
overlaps the snippet's first days. A query takes them only where they answer it: the site's totals, or
one property's values (filtered by that property, or broken down by it, or both), over whole days, by
day, week or month. Anything else (filters on two properties, a filter on one and a breakdown by
another, goals and conversion rates, custom properties, hours) is answered without them, and the result
says so. Engaged time and scroll depth stay the site's own: other tools' rows have none.

Visitors and visits of imported days are the tools' daily counts, summed over the range: approximate
(a visitor on two days counts twice).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from imports.models import PROPERTIES, Import, ImportedStat
from sites.models import Goal
from stats.counts import Counts
from stats.query import DateRange, Filter, Kind, Operator, StatsQuery, day_bucket
from tracker.models import Event, Rollup

if TYPE_CHECKING:
    from stats.sources import CountSource

INTERVALS = ("day", "week", "month")
# Engaged time and scroll depth are the site's own (imported visits carry none, see stats.counts).
SUMS = ("visitors", "visits", "pageviews", "bounces", "duration", "events")
WARNING = (
    "Imported data is not included: it answers the site's totals and one property at a time (filtered by "
    "it, broken down by it, or both), by day, week or month, without goals or custom properties."
)


def _property(query: StatsQuery) -> str | None:
    """The one property the query names in its filters and breakdown ("" for none), or None for several."""
    names = {f.name for f in query.filters}
    if query.kind is Kind.BREAKDOWN and query.breakdown is not None:
        names.add(query.breakdown)
    if len(names) > 1:
        return None
    return next(iter(names), "")


def answers(query: StatsQuery) -> bool:
    """Whether imported rows can be added to the query's counts."""
    if query.kind is Kind.TIMESERIES and query.interval not in INTERVALS:
        return False
    if query.has_goal:
        return False
    prop = _property(query)
    return prop is not None and (prop == "" or prop in PROPERTIES)


def _local_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, datetime.min.time(), ZoneInfo(timezone))


def _whole_days(dates: DateRange) -> tuple[date, date]:
    """The range's whole local days (a range may start or end within a day; imports hold whole days)."""
    first = dates.first if dates.starts_at_midnight else dates.first + timedelta(days=1)
    ends_at_midnight = dates.end is None or dates.end == _local_midnight(dates.last + timedelta(days=1), dates.timezone)
    return first, dates.last if ends_at_midnight else dates.last - timedelta(days=1)


def native_start(site_id: int, timezone: str) -> date | None:
    """The site's first local day of its own data: of its first stored event, or of its first rollup row
    where retention has deleted older events. None for a site without any."""
    first_event = Event.objects.filter(site_id=site_id).order_by("timestamp").values_list("timestamp", flat=True)[:1]
    first_rolled = Rollup.objects.filter(site_id=site_id, period=Rollup.Period.DAY, dimension="").order_by("day")
    days = [moment.astimezone(ZoneInfo(timezone)).date() for moment in first_event]
    days += first_rolled.values_list("day", flat=True)[:1]
    return min(days, default=None)


def _condition(flt: Filter) -> Q:
    if flt.operator is Operator.CONTAINS:
        return reduce(or_, (Q(value__icontains=value) for value in flt.values))
    matches = Q(value__in=flt.values)
    return matches if flt.operator is Operator.IS else ~matches


def _sums() -> dict[str, Any]:
    return {name: Coalesce(Sum(name), 0) for name in SUMS}


def _counts(row: dict[str, Any]) -> Counts:
    return Counts(**{name: row[name] for name in SUMS}, imported_visits=row["visits"])


class ImportedSource:
    """Another source's counts plus the imported rows of the days before the site's own data."""

    def __init__(self, rest: CountSource) -> None:
        self.rest = rest
        self._starts: dict[int, date | None] = {}

    def _rows(self, query: StatsQuery, dates: DateRange, dimension: str) -> QuerySet[ImportedStat] | None:
        if query.site_id not in self._starts:
            self._starts[query.site_id] = native_start(query.site_id, dates.timezone)
        first, last = _whole_days(dates)
        start = self._starts[query.site_id]
        if start is not None:
            last = min(last, start - timedelta(days=1))
        if last < first:
            return None
        rows = ImportedStat.objects.filter(
            site_id=query.site_id, dimension=dimension, day__gte=first, day__lte=last, job__status=Import.Status.DONE
        )
        for flt in query.filters:
            rows = rows.filter(_condition(flt))
        return rows

    def totals(self, query: StatsQuery, dates: DateRange) -> Counts:
        counts = self.rest.totals(query, dates)
        rows = self._rows(query, dates, query.filters[0].name if query.filters else "")
        return counts if rows is None else counts + _counts(rows.aggregate(**_sums()))

    def by_bucket(self, query: StatsQuery, dates: DateRange) -> dict[date | datetime | int, Counts]:
        buckets = dict(self.rest.by_bucket(query, dates))
        rows = self._rows(query, dates, query.filters[0].name if query.filters else "")
        for row in [] if rows is None else rows.values("day").annotate(**_sums()):
            bucket = day_bucket(row["day"], query.interval)
            buckets[bucket] = buckets.get(bucket, Counts()) + _counts(row)
        return buckets

    def by_value(self, query: StatsQuery, dates: DateRange) -> dict[str, Counts]:
        values = dict(self.rest.by_value(query, dates))
        rows = self._rows(query, dates, str(query.breakdown))
        for row in [] if rows is None else rows.values("value").annotate(**_sums()):
            values[row["value"]] = values.get(row["value"], Counts()) + _counts(row)
        return values

    def funnel_reached(self, query: StatsQuery, dates: DateRange, steps: Sequence[Goal]) -> list[int]:
        return self.rest.funnel_reached(query, dates, steps)

    def realtime_visitors(self, site_id: int, now: datetime, minutes: int) -> int:
        return self.rest.realtime_visitors(site_id, now, minutes)

    def prop_keys(self, query: StatsQuery, dates: DateRange) -> list[str]:
        return self.rest.prop_keys(query, dates)
