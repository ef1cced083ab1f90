"""Counts: the sums every metric is derived from, whether they come from rollups or raw events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields


@dataclass
class Counts:
    visitors: int = 0
    visits: int = 0
    bounces: int = 0
    duration: int = 0  # seconds, summed over the visits
    pageviews: int = 0
    events: int = 0  # every event but engagement reports
    engaged_ms: int = 0
    scroll_sum: int = 0
    scroll_count: int = 0
    # Visits of imported days (stats/imported.py): other tools' numbers carry no engaged time, so the
    # engaged time per visit leaves them out.
    imported_visits: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __sub__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))


# The counts rollups and the event store keep (imported visits are added when a query is run).
FIELDS = tuple(f.name for f in fields(Counts) if f.name != "imported_visits")
# Distinct counts: these do not add up over days, see tracker/rollups/ for how they are merged.
DISTINCT = ("visitors", "visits", "bounces", "duration")
# The counts of the visits themselves, which a store reads from the visits of the events counted.
VISIT_FIELDS = frozenset({"bounces", "duration"})


# The sums each metric is derived from beyond the visitors and events, which every answer has (a
# breakdown shows a goal by its events, a comparison tells an empty period by them): a store may leave
# the others at 0 when no metric asks for them, and skip reading their columns.
METRIC_FIELDS = {
    "visits": ("visits",),
    "pageviews": ("pageviews",),
    "views_per_visit": ("pageviews", "visits"),
    "bounce_rate": ("bounces", "visits"),
    "visit_duration": ("duration", "visits"),
    "engaged_time": ("engaged_ms", "visits"),
    "scroll_depth": ("scroll_sum", "scroll_count"),
}


def fields_needed(metrics: Iterable[str]) -> frozenset[str]:
    """The counts (of FIELDS) these metrics are derived from."""
    return frozenset({"visitors", "events"}.union(*(METRIC_FIELDS.get(metric, ()) for metric in metrics)))


def reads_visits(metrics: Iterable[str]) -> bool:
    """Whether these metrics need the visits' bounces and durations: a join of the visits, which every
    store skips otherwise (the dashboard's panels and graph never ask for them)."""
    return not VISIT_FIELDS.isdisjoint(fields_needed(metrics))


@dataclass(frozen=True)
class MetricValue:
    value: float | int | None
    comparison: float | int | None = None
    change: float | int | None = None  # percent; for bounce_rate, percentage points


# Metrics that are percentages of a whole: their change is the difference in percentage points.
IN_POINTS = ("bounce_rate", "conversion_rate")


def metrics(counts: Counts, base_visitors: int | None = None) -> dict[str, float | int | None]:
    """Every metric of the stats API from the counts; the conversion rate (in percent, as Plausible's)
    from `base_visitors`, the visitors of the same query without its goal, where it has one."""
    visits = counts.visits
    engaged_visits = visits - counts.imported_visits
    return {
        "visitors": counts.visitors,
        "visits": visits,
        "pageviews": counts.pageviews,
        "views_per_visit": round(counts.pageviews / visits, 2) if visits else 0,
        "bounce_rate": round(100 * counts.bounces / visits) if visits else 0,
        "visit_duration": round(counts.duration / visits) if visits else 0,
        "events": counts.events,
        "engaged_time": round(counts.engaged_ms / 1000 / engaged_visits) if engaged_visits else 0,
        "scroll_depth": round(counts.scroll_sum / counts.scroll_count) if counts.scroll_count else None,
        "conversion_rate": None if base_visitors is None else _rate(counts.visitors, base_visitors),
    }


def _rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def change(metric: str, value: float | int | None, before: float | int | None) -> float | int | None:
    """The change from the comparison period in percent (rates: in points); None where there is
    nothing to compare with, since no percentage of zero says anything."""
    if value is None or before is None:
        return None
    if metric in IN_POINTS:
        return round(value - before, 1)
    if before == 0:
        return None
    return round(100 * (value - before) / before)


def compared(
    now: Counts,
    before: Counts,
    names: tuple[str, ...],
    bases: tuple[int | None, int | None] = (None, None),
) -> dict[str, MetricValue]:
    """Each metric now, then, and its change; a comparison period without any visit changes nothing.
    `bases` are the visitors a conversion rate divides by, now and then: a period with visitors but no
    conversion had a rate of 0, which a change can be measured from."""
    values, earlier = metrics(now, bases[0]), metrics(before, bases[1])
    empty = before.visits == 0 and before.events == 0
    nothing_then = {name: empty for name in names}
    if "conversion_rate" in names and bases[1] is not None:
        nothing_then["conversion_rate"] = bases[1] == 0
    return {
        name: MetricValue(
            values[name], earlier[name], None if nothing_then[name] else change(name, values[name], earlier[name])
        )
        for name in names
    }
