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
from stats.clickhouse import ClickHouseSource
from stats.counts import Counts
from stats.query import DateRange, StatsQuery
from tracker.store import event_store


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

    def realtime_visitors(self, site_id: int, now: datetime, minutes: int) -> int:
        """The visitors who sent an event in the last few minutes (never from rollups)."""
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

    def realtime_visitors(self, site_id: int, now: datetime, minutes: int) -> int:
        return raw.realtime_visitors(site_id, now, minutes)


class RolledSource(RawSource):
    """Rollups where they answer; funnels and realtime from raw events, as the order of a visit's events
    and the last minutes are not rolled up."""

    def totals(self, query: StatsQuery, dates: DateRange) -> Counts:
        return rolled.totals(query, dates)

    def by_bucket(self, query: StatsQuery, dates: DateRange) -> dict[date | datetime | int, Counts]:
        return rolled.by_bucket(query, dates)

    def by_value(self, query: StatsQuery, dates: DateRange) -> dict[str, Counts]:
        return rolled.by_value(query, dates)


RAW: CountSource = RawSource()
ROLLED: CountSource = RolledSource()


def configured() -> CountSource:
    """What stats.run counts from unless told: the event store where one is configured (EVENT_STORE),
    else rollups joined with the raw tail."""
    store = event_store()
    return ROLLED if store is None else ClickHouseSource(store)
