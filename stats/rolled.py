"""Counts from rollups for rolled-up days, and from raw events for the days after, joined exactly.

A query is answered from rollups when its rows exist: the whole site (no filters), one value of
one property (a single `==` filter), every value of the breakdown property (no filters), or
every value of a page's breakdown (a single `event:page ==` filter and a breakdown by one of the
properties rolled up within pages, as an article's page asks). Anything else, and hour buckets
of a single value, is counted by the `rest` source: raw events, or the event store where one is
configured (stats/sources.py); so are the days after the last rolled one (the tail).

Distinct visitors and visits over several units (months, days, the raw tail) are the units'
sums less what each unit but the first carried over from the unit before (tracker/rollups/).
The raw tail starts on the last rolled day, whose row says what it carried from the day before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from stats import dimensions
from stats.counts import DISTINCT, FIELDS, Counts
from stats.dimensions import BY_NAME, PROPS_PREFIX, WITHIN_PAGES, page_dimension
from stats.query import DateRange, Operator, StatsQuery, day_bucket
from tracker.models import Event, Rollup, RollupDirty, RollupState

if TYPE_CHECKING:
    from stats.sources import CountSource

CARRIED = tuple(f"{name}_carried" for name in DISTINCT)


@dataclass(frozen=True)
class _Group:
    dimension: str  # "" for the whole site
    value: str | None  # None: every value (a breakdown)
    page: str | None = None  # the page whose values these are (rows within a page)


@dataclass(frozen=True)
class _Plan:
    rolled: tuple[date, date] | None  # days read from rollups
    tail: DateRange | None  # days read from raw events
    junction: date | None  # the tail's first day, when rolled days come before it
    filled: date | None = None  # the last rolled-up day: a month's rows hold its days up to there
    stale: frozenset[date] = frozenset()  # months whose rows wait to be summed again
    dirty: frozenset[date] = frozenset()  # rolled days waiting to be rolled up again

    def read_days(self) -> tuple[date, date] | None:
        """The first and last day whose rows are read: the rolled days and the junction."""
        return None if self.rolled is None else (self.rolled[0], self.junction or self.rolled[1])


def _rolled_property(name: str) -> bool:
    return (name in BY_NAME and BY_NAME[name].rolled) or name.startswith(PROPS_PREFIX)


def _single_value(query: StatsQuery) -> tuple[str, str] | None:
    """Return (property, value) of a query whose only filter is one `==` value, else None."""
    if len(query.filters) != 1:
        return None
    (only,) = query.filters
    if only.operator is not Operator.IS or len(only.values) != 1:
        return None
    return only.name, only.values[0]


def _group(query: StatsQuery, *, breakdown: bool = False) -> _Group | None:
    """Return the rollup rows that answer the query, or None when only raw events can."""
    if not query.filters:
        if not breakdown:
            return _Group("", "")
        assert query.breakdown is not None
        return _Group(query.breakdown, None) if _rolled_property(query.breakdown) else None
    single = _single_value(query)
    if single is None:
        return None
    name, value = single
    if breakdown:
        within_page = name == "event:page" and query.breakdown in WITHIN_PAGES
        return _Group(page_dimension(str(query.breakdown), value), None, page=value) if within_page else None
    return _Group(name, value) if _rolled_property(name) else None


def _plan(query: StatsQuery, dates: DateRange) -> _Plan:
    state = (
        RollupState.objects.filter(site_id=query.site_id)
        .values_list("rolled_until", "site__timezone", "site__long_lived_visitor_ids")
        .first()
    )
    rolled_until, zone, long_lived = state or (None, None, False)
    # Rollup days are the site's whole days; a range in another zone, or one that starts within a
    # day, can only be counted from raw events. So can sites whose visitor ids outlive a day: rollups
    # merge days exactly only for ids that do not (see tracker/rollups/). A range that ends within its
    # last day (a period still in progress, compared with the same span before) reads that day raw.
    raw_only = zone != dates.timezone or not dates.starts_at_midnight or long_lived
    if rolled_until is None or raw_only or dates.first >= rolled_until:
        return _Plan(None, dates, None)
    last_rolled = rolled_until - timedelta(days=1)
    marked = RollupDirty.objects.filter(site_id=query.site_id).values_list("period", "day")
    stale = frozenset(day for period, day in marked if period == Rollup.Period.MONTH)
    dirty = frozenset(day for period, day in marked if period == Rollup.Period.DAY)
    partial = not dates.whole_days
    if not partial:
        if dates.last <= last_rolled:
            return _Plan((dates.first, dates.last), None, None, last_rolled, stale, dirty)
        start, end = DateRange(rolled_until, dates.last, dates.timezone).utc_bounds()
        if not Event.objects.filter(site_id=query.site_id, timestamp__gte=start, timestamp__lt=end).exists():
            return _Plan((dates.first, last_rolled), None, None, last_rolled, stale, dirty)
    # The raw tail starts on a whole, rolled-up day, whose row says what it carried from the day before.
    junction = min(last_rolled, dates.last - timedelta(days=1) if partial else dates.last)
    if dates.first >= junction:
        return _Plan(None, dates, None)
    since = DateRange(junction, junction, dates.timezone).utc_bounds()[0]
    tail = DateRange.between(since, dates.utc_bounds()[1], dates.timezone)
    return _Plan((dates.first, junction - timedelta(days=1)), tail, junction, last_rolled, stale, dirty)


def _rows_within_page(site_id: int, page: str, plan: _Plan) -> bool:
    """Whether every day read has its rows within the page.

    A day of few events of the page has none (stats.dimensions.PAGE_ROLLUP_MIN_EVENTS), and days
    rolled up before rollups had rows within pages lack them until rolled up again (tracker
    migration 0008 marks them dirty; elsewhere a dirty day only misses its late events).
    """
    days = plan.read_days()
    if days is None:
        return True
    first, last = days
    if any(first <= day <= last for day in plan.dirty):
        return False
    page_days = Rollup.objects.filter(
        site_id=site_id, period=Rollup.Period.DAY, dimension="event:page", value=page, day__gte=first, day__lte=last
    )
    return not page_days.filter(events__lt=dimensions.PAGE_ROLLUP_MIN_EVENTS).exists()


def _month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _units(first: date, last: date, plan: _Plan, *, months: bool = True) -> Q:
    """Rows covering the days once: month rows where they hold exactly the month's days in the
    range (a whole month, or the month being filled up to its last rolled day), day rows elsewhere.
    """
    whole: list[date] = []
    spans: list[tuple[date, date]] = []  # runs of days read from day rows
    day = first
    while day <= last:
        end = min(_month_end(day), last)
        covered = end == _month_end(day) or end == plan.filled
        if months and day.day == 1 and covered and day not in plan.stale:
            whole.append(day)
        elif spans and spans[-1][1] == day - timedelta(days=1):
            spans[-1] = (spans[-1][0], end)  # one range per run keeps the index scan a single range
        else:
            spans.append((day, end))
        day = end + timedelta(days=1)
    parts = [Q(period=Rollup.Period.MONTH, day__in=whole)] if whole else []
    parts += [Q(period=Rollup.Period.DAY, day__gte=start, day__lte=end) for start, end in spans]
    return reduce(or_, parts)


def _rows(site_id: int, group: _Group) -> QuerySet[Rollup]:
    rows = Rollup.objects.filter(site_id=site_id, dimension=group.dimension)
    return rows if group.value is None else rows.filter(value=group.value)


def _sums(first: date) -> dict[str, Any]:
    """Sum units into counts; distinct counts less what every unit but the first carried over."""
    sums: dict[str, Any] = {name: Coalesce(Sum(name), 0) for name in FIELDS}
    for name in DISTINCT:
        sums[name] = sums[name] - Coalesce(Sum(f"{name}_carried", filter=~Q(day=first)), 0)
    return sums


def _counts(row: dict[str, Any]) -> Counts:
    return Counts(**{name: row[name] for name in FIELDS})


def _carried(row: dict[str, Any] | None) -> Counts:
    return Counts(**{name: row[f"{name}_carried"] for name in DISTINCT}) if row else Counts()


def _junction_rows(site_id: int, group: _Group, day: date) -> dict[str, dict[str, Any]]:
    rows = _rows(site_id, group).filter(period=Rollup.Period.DAY, day=day).values("value", *CARRIED)
    return {row["value"]: row for row in rows}


def totals(query: StatsQuery, dates: DateRange, rest: CountSource) -> Counts:
    group = _group(query)
    if group is None:
        return rest.totals(query, dates)
    plan = _plan(query, dates)
    counts = Counts()
    if plan.rolled:
        first, last = plan.rolled
        counts += _counts(_rows(query.site_id, group).filter(_units(first, last, plan)).aggregate(**_sums(first)))
    if plan.tail:
        counts += rest.totals(query, plan.tail)
    if plan.junction:
        counts -= _carried(_junction_rows(query.site_id, group, plan.junction).get(group.value or ""))
    return counts


def by_value(query: StatsQuery, dates: DateRange, rest: CountSource) -> dict[str, Counts]:
    group = _group(query, breakdown=True)
    if group is None:
        return rest.by_value(query, dates)
    plan = _plan(query, dates)
    if group.page is not None and not _rows_within_page(query.site_id, group.page, plan):
        return rest.by_value(query, dates)
    values: dict[str, Counts] = {}
    if plan.rolled:
        first, last = plan.rolled
        rows = _rows(query.site_id, group).filter(_units(first, last, plan)).values("value").annotate(**_sums(first))
        values = {row["value"]: _counts(row) for row in rows}
    if plan.tail:
        for value, counts in rest.by_value(query, plan.tail).items():
            values[value] = values.get(value, Counts()) + counts
    if plan.junction:
        for value, row in _junction_rows(query.site_id, group, plan.junction).items():
            values[value] = values.get(value, Counts()) - _carried(row)
    return values


def _hour_buckets(query: StatsQuery, plan: _Plan, rest: CountSource) -> dict[date | datetime | int, Counts]:
    buckets: dict[date | datetime | int, Counts] = {}
    if plan.rolled:
        first, last = plan.rolled
        hours = Rollup.objects.filter(
            site_id=query.site_id, period=Rollup.Period.HOUR, dimension="", day__gte=first, day__lte=last
        )
        for row in hours.values("day", "hour", *FIELDS):
            buckets[datetime.combine(row["day"], time(row["hour"]))] = _counts(row)
    if plan.tail:
        buckets.update(rest.by_bucket(query, plan.tail))
    return buckets


def by_bucket(query: StatsQuery, dates: DateRange, rest: CountSource) -> dict[date | datetime | int, Counts]:
    group = _group(query)
    unrolled = query.interval not in ("hour", "day", "week", "month")  # buckets of seconds
    if group is None or unrolled or (query.interval == "hour" and group.dimension):
        return rest.by_bucket(query, dates)
    plan = _plan(query, dates)
    if query.interval == "hour":
        return _hour_buckets(query, plan, rest)

    def first_day(bucket: date) -> date:
        return max(bucket, dates.first)

    buckets: dict[date | datetime | int, Counts] = {}
    if plan.rolled:
        first, last = plan.rolled
        units = _units(first, last, plan, months=query.interval == "month")
        for row in _rows(query.site_id, group).filter(units).values("day", *FIELDS, *CARRIED):
            bucket = day_bucket(row["day"], query.interval)
            counts = _counts(row) if row["day"] == first_day(bucket) else _counts(row) - _carried(row)
            buckets[bucket] = buckets.get(bucket, Counts()) + counts
    if plan.tail:
        for start, counts in rest.by_bucket(query, plan.tail).items():
            buckets[start] = buckets.get(start, Counts()) + counts
    if plan.junction:
        bucket = day_bucket(plan.junction, query.interval)
        if first_day(bucket) != plan.junction:
            carried = _carried(_junction_rows(query.site_id, group, plan.junction).get(group.value or ""))
            buckets[bucket] = buckets.get(bucket, Counts()) - carried
    return buckets
