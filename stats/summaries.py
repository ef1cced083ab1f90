"""The site list's numbers for many sites at once: visitors of the last 24 hours and of the last 30 days,
and the visitors of each of those days, in a fixed number of queries whatever the number of sites.

The answers are those of stats.run for each site (the 30 days as `period=30d`, the 24 hours as the range
[now - 24 h, now)), planned the way stats/rolled.py plans one site's range: rollup day rows for the days
rolled up, raw events from the last rolled day on (the junction, whose row says what it carried from the
day before), and raw events alone for sites whose visitor ids outlive a day. Only the site-wide rows and
visitors are read, so the plan needs none of the filters' cases.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, Q, When
from django.db.models.functions import TruncDate

from sites.models import Site
from stats.query import DateRange
from tracker.models import Event, Rollup, RollupState

DAYS = 30
LAST_DAY = timedelta(hours=24)


@dataclass(frozen=True)
class SiteSummary:
    last_day: int  # visitors in the last 24 hours
    last_month: int  # visitors in the last 30 local days, today included
    days: list[int]  # visitors of each of those days, oldest first


@dataclass(frozen=True)
class _Plan:
    dates: DateRange  # the 30 local days
    rolled: tuple[date, date] | None  # days read from day rows
    tail: datetime  # raw events from this moment to the range's end
    junction: date | None  # the tail's first day, when rolled days come before it


def _plan(site: Site, rolled_until: date | None, today: date) -> _Plan:
    """Which of the site's 30 days come from rollups and which from raw events (as stats/rolled.py)."""
    dates = DateRange(today - timedelta(days=DAYS - 1), today, site.timezone)
    if rolled_until is None or site.long_lived_visitor_ids or dates.first >= rolled_until:
        return _Plan(dates, None, dates.utc_bounds()[0], None)
    junction = min(rolled_until - timedelta(days=1), dates.last)
    if dates.first >= junction:
        return _Plan(dates, None, dates.utc_bounds()[0], None)
    since = DateRange(junction, junction, site.timezone).utc_bounds()[0]
    return _Plan(dates, (dates.first, junction - timedelta(days=1)), since, junction)


def _plans(sites: Sequence[Site], now: datetime) -> dict[int, _Plan]:
    states = dict(RollupState.objects.filter(site_id__in=[s.id for s in sites]).values_list("site_id", "rolled_until"))
    return {site.id: _plan(site, states.get(site.id), now.astimezone(ZoneInfo(site.timezone)).date()) for site in sites}


def _day_rows(plans: dict[int, _Plan]) -> dict[int, dict[date, tuple[int, int]]]:
    """{site: {day: (visitors, visitors carried)}} of the rolled days and junctions, one query."""
    spans = {
        site_id: (plan.rolled[0], plan.junction or plan.rolled[1])
        for site_id, plan in plans.items()
        if plan.rolled is not None
    }
    rows: dict[int, dict[date, tuple[int, int]]] = defaultdict(dict)
    if not spans:
        return rows
    wanted = reduce(
        or_, (Q(site_id=site_id, day__gte=first, day__lte=last) for site_id, (first, last) in spans.items())
    )
    found = Rollup.objects.filter(wanted, period=Rollup.Period.DAY, dimension="").values_list(
        "site_id", "day", "visitors", "visitors_carried"
    )
    for site_id, day, visitors, carried in found:
        rows[site_id][day] = (visitors, carried)
    return rows


def _tail_events(plans: dict[int, _Plan], sites: Sequence[Site]) -> tuple[Q, Case]:
    """The raw tail's events of every site, and each event's local day in its site's time zone."""
    tail = reduce(
        or_,
        (
            Q(site_id=site_id, timestamp__gte=plan.tail, timestamp__lt=plan.dates.utc_bounds()[1])
            for site_id, plan in plans.items()
        ),
    )
    zones: dict[str, list[int]] = defaultdict(list)
    for site in sites:
        zones[site.timezone].append(site.id)
    local_day = Case(
        *(When(site_id__in=ids, then=TruncDate("timestamp", tzinfo=ZoneInfo(zone))) for zone, ids in zones.items())
    )
    return tail, local_day


def _visitors(events: Q, group: tuple[str, ...], **annotations: object) -> list[dict]:
    rows = Event.objects.filter(events)
    if annotations:
        rows = rows.annotate(**annotations)
    return list(rows.values(*group).annotate(visitors=Count("visitor_hash", distinct=True)).order_by())


def site_summaries(sites: Sequence[Site], now: datetime) -> dict[int, SiteSummary]:
    """Return each site's summary, by site id, in five queries."""
    if not sites:
        return {}
    plans = _plans(sites, now)
    rows = _day_rows(plans)
    tail, local_day = _tail_events(plans, sites)
    tail_days: dict[int, dict[date, int]] = defaultdict(dict)
    for row in _visitors(tail, ("site_id", "local_day"), local_day=local_day):
        tail_days[row["site_id"]][row["local_day"]] = row["visitors"]
    tail_totals = {row["site_id"]: row["visitors"] for row in _visitors(tail, ("site_id",))}
    recent = Q(site_id__in=list(plans), timestamp__gte=now - LAST_DAY, timestamp__lt=now)
    last_day = {row["site_id"]: row["visitors"] for row in _visitors(recent, ("site_id",))}
    return {
        site_id: _summary(
            plan, rows[site_id], tail_days[site_id], tail_totals.get(site_id, 0), last_day.get(site_id, 0)
        )
        for site_id, plan in plans.items()
    }


def _summary(
    plan: _Plan, rows: dict[date, tuple[int, int]], tail_days: dict[date, int], tail_total: int, last_day: int
) -> SiteSummary:
    """Join one site's rolled days and raw tail: distinct visitors are the parts' sums less what every
    rolled day but the first, and the junction, carried over from the day before."""
    total, days = tail_total, []
    for offset in range(plan.dates.days):
        day = plan.dates.first + timedelta(days=offset)
        if plan.rolled is not None and day <= plan.rolled[1]:
            visitors, carried = rows.get(day, (0, 0))
            total += visitors - (carried if day != plan.rolled[0] else 0)
            days.append(visitors)
        else:
            days.append(tail_days.get(day, 0))
    if plan.junction is not None:
        total -= rows.get(plan.junction, (0, 0))[1]
    return SiteSummary(last_day=last_day, last_month=total, days=days)
