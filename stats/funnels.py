"""Funnels: how many visitors complete a site's goals in order, step by step.

A visitor reaches a step when one of their visits completes its goal after completing the steps
before it, in order, with any other events between them (the count source finds the visits). Each
step reports its visitors, the share of the first step's visitors who got there and of the previous
step's, and how many of the previous step's visitors dropped off. The query's filters and period
apply as everywhere; with a comparison the same is counted over the comparison period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sites.models import Funnel, Goal
from stats import sources
from stats.query import DateRange, StatsQuery
from stats.sources import CountSource


@dataclass(frozen=True)
class Step:
    goal: str  # the goal's display name
    visitors: int
    conversion_rate: float  # percent of the first step's visitors
    conversion_rate_step: float  # percent of the previous step's visitors (100 for the first)
    dropoff: int  # visitors of the previous step who did not reach this one
    dropoff_rate: float  # the same, in percent of the previous step's visitors


@dataclass(frozen=True)
class FunnelCounts:
    all_visitors: int  # the period's visitors (after filters), entering the funnel or not
    steps: list[Step]

    @property
    def entering_visitors(self) -> int:
        return self.steps[0].visitors if self.steps else 0


@dataclass(frozen=True)
class FunnelResult:
    funnel: Funnel
    counts: FunnelCounts
    comparison: FunnelCounts | None = None


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def steps(goals: Sequence[Goal], reached: Sequence[int]) -> list[Step]:
    """The steps' figures from the visitors reaching each."""
    first = reached[0] if reached else 0
    result = []
    for n, (goal, visitors) in enumerate(zip(goals, reached, strict=True)):
        before = reached[n - 1] if n else visitors
        result.append(
            Step(
                goal=goal.display_name,
                visitors=visitors,
                conversion_rate=_percent(visitors, first),
                conversion_rate_step=_percent(visitors, before) if n else 100.0 if visitors else 0.0,
                dropoff=before - visitors,
                dropoff_rate=_percent(before - visitors, before),
            )
        )
    return result


def _count(query: StatsQuery, dates: DateRange, goals: Sequence[Goal], source: CountSource) -> FunnelCounts:
    reached = source.funnel_reached(query, dates, goals)
    return FunnelCounts(all_visitors=source.totals(query, dates).visitors, steps=steps(goals, reached))


def run_funnel(query: StatsQuery, funnel: Funnel, *, source: CountSource | None = None) -> FunnelResult:
    """Count the funnel over the query's period (and comparison), with its filters."""
    source = source or sources.configured()
    goals = funnel.goals()
    counts = _count(query, query.dates, goals, source)
    comparison = None if query.comparison is None else _count(query, query.comparison, goals, source)
    return FunnelResult(funnel, counts, comparison)
