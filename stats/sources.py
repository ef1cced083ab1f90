"""Where counts come from: a CountSource answers three questions about a query over a date range, as
the Counts every metric is derived from. `RAW` counts raw events (the reference, and the not yet
rolled-up tail); `ROLLED` reads rollups for rolled-up days and joins the raw tail exactly, counting
from raw events what rollups cannot answer. An event store (ClickHouse) is another source."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from sites.models import Goal
from stats import raw, rolled
from stats.counts import Counts
from stats.query import DateRange, StatsQuery


class CountSource(Protocol):
    def totals(self, query: StatsQuery, dates: DateRange) -> Counts:
        """The counts of the query's events in the range."""
        ...

    def by_bucket(self, query: StatsQuery, dates: DateRange) -> dict[date | datetime | int, Counts]:
        """The counts per interval bucket that has events (see stats.runner for the bucket keys)."""
        ...

    def by_value(self, query: StatsQuery, dates: DateRange) -> dict[str, Counts]:
        """The counts per value of the query's breakdown property."""
        ...

    def funnel_reached(self, query: StatsQuery, dates: DateRange, steps: Sequence[Goal]) -> list[int]:
        """The visitors who reached each step of a funnel of these goals (see stats/funnels.py)."""
        ...


class RawSource:
    def totals(self, query: StatsQuery, dates: DateRange) -> Counts:
        return raw.totals(query, dates)

    def by_bucket(self, query: StatsQuery, dates: DateRange) -> dict[date | datetime | int, Counts]:
        return raw.by_bucket(query, dates)

    def by_value(self, query: StatsQuery, dates: DateRange) -> dict[str, Counts]:
        return raw.by_value(query, dates)

    def funnel_reached(self, query: StatsQuery, dates: DateRange, steps: Sequence[Goal]) -> list[int]:
        return raw.funnel_reached(query, dates, steps)


class RolledSource:
    def totals(self, query: StatsQuery, dates: DateRange) -> Counts:
        return rolled.totals(query, dates)

    def by_bucket(self, query: StatsQuery, dates: DateRange) -> dict[date | datetime | int, Counts]:
        return rolled.by_bucket(query, dates)

    def by_value(self, query: StatsQuery, dates: DateRange) -> dict[str, Counts]:
        return rolled.by_value(query, dates)

    def funnel_reached(self, query: StatsQuery, dates: DateRange, steps: Sequence[Goal]) -> list[int]:
        # The order of events within a visit is not rolled up.
        return raw.funnel_reached(query, dates, steps)


RAW: CountSource = RawSource()
ROLLED: CountSource = RolledSource()
