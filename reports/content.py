"""A report's numbers, asked of the stats layer as the dashboard asks: totals compared with the period
before, the top pages, sources, countries and goals, and the visitors of each day for the chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pycountry

import stats
from sites.models import Site
from stats import DateRange, Kind, StatsQuery
from stats.counts import MetricValue
from stats.dimensions import GOAL

TOTALS = ("visitors", "pageviews", "bounce_rate", "visit_duration")
TOP = 5
# (title, property, what the first column is called)
BREAKDOWNS = (
    ("Top pages", "event:page", "Page"),
    ("Top sources", "visit:source", "Source"),
    ("Top countries", "visit:country", "Country"),
)


@dataclass(frozen=True)
class TopList:
    title: str
    label: str
    rows: list[tuple[str, int]]  # (value, visitors)


@dataclass(frozen=True)
class Conversion:
    goal: str
    visitors: int
    conversions: int
    rate: float | None


@dataclass(frozen=True)
class ReportContent:
    site: Site
    period: str  # week or month
    dates: DateRange
    comparison: DateRange
    totals: dict[str, MetricValue]
    tops: list[TopList] = field(default_factory=list)
    goals: list[Conversion] = field(default_factory=list)
    days: list[tuple[date, int]] = field(default_factory=list)  # visitors per day

    @property
    def empty(self) -> bool:
        """Whether nobody visited in the period (such a report is sent only to those who ask)."""
        return not self.totals["visitors"].value


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    return str(country.name) if country is not None else code or "Unknown"


def _top(site: Site, dates: DateRange, title: str, prop: str, label: str) -> TopList:
    query = StatsQuery(site_id=site.id, dates=dates, kind=Kind.BREAKDOWN, breakdown=prop, limit=TOP)
    rows = [(str(value), int(values["visitors"] or 0)) for value, values in stats.run(query).rows]
    if prop == "visit:country":
        rows = [(country_name(code), visitors) for code, visitors in rows]
    return TopList(title, label, rows)


def _goals(site: Site, dates: DateRange) -> list[Conversion]:
    if not site.goals.exists():
        return []
    metrics = ("visitors", "events", "conversion_rate")
    query = StatsQuery(site_id=site.id, dates=dates, kind=Kind.BREAKDOWN, breakdown=GOAL, metrics=metrics, limit=TOP)
    return [
        Conversion(str(goal), int(v["visitors"] or 0), int(v["events"] or 0), v["conversion_rate"])
        for goal, v in stats.run(query).rows
    ]


def _days(site: Site, dates: DateRange) -> list[tuple[date, int]]:
    query = StatsQuery(site_id=site.id, dates=dates, kind=Kind.TIMESERIES, interval="day")
    return [(bucket, int(values["visitors"] or 0)) for bucket, values in stats.run(query).rows]


def report_content(site: Site, period: str, dates: DateRange, comparison: DateRange) -> ReportContent:
    """Count the site's report of these dates, compared with the period before."""
    query = StatsQuery(site_id=site.id, dates=dates, metrics=TOTALS, comparison=comparison)
    totals = stats.run(query).values
    if not totals["visitors"].value:  # nothing to list; the chart still shows the empty days
        return ReportContent(site, period, dates, comparison, totals, days=_days(site, dates))
    tops = [_top(site, dates, *breakdown) for breakdown in BREAKDOWNS]
    return ReportContent(site, period, dates, comparison, totals, tops, _goals(site, dates), _days(site, dates))
