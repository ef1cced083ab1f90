"""Where counts come from: a CountSource answers a query's questions over a date range as the Counts
every metric is derived from. `RAW` counts raw events (the reference); `ROLLED` reads rollups for
rolled-up days and joins the tail exactly, counting what rollups cannot answer from another source:
raw events, or the ClickHouse event store (stats/clickhouse.py) where one is configured."""

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

    def prop_keys(self, query: StatsQuery, dates: DateRange) -> list[str]:
        """The custom property keys of the range's latest events that carry some (those passing the
        filters), most used first: the keys to break down by, while a breakdown counts every event."""
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

    def prop_keys(self, query: StatsQuery, dates: DateRange) -> list[str]:
        return raw.prop_keys(query, dates)


class RolledSource:
    """Rollups where they answer; `rest` counts the rest: what rollups cannot answer, the days not
    rolled up yet, funnels (the order of a visit's events is not rolled up) and the last minutes."""

    def __init__(self, rest: CountSource) -> None:
        self.rest = rest

    def totals(self, query: StatsQuery, dates: DateRange) -> Counts:
        return rolled.totals(query, dates, self.rest)

    def by_bucket(self, query: StatsQuery, dates: DateRange) -> dict[date | datetime | int, Counts]:
        return rolled.by_bucket(query, dates, self.rest)

    def by_value(self, query: StatsQuery, dates: DateRange) -> dict[str, Counts]:
        return rolled.by_value(query, dates, self.rest)

    def funnel_reached(self, query: StatsQuery, dates: DateRange, steps: Sequence[Goal]) -> list[int]:
        return self.rest.funnel_reached(query, dates, steps)

    def realtime_visitors(self, site_id: int, now: datetime, minutes: int) -> int:
        return self.rest.realtime_visitors(site_id, now, minutes)

    def prop_keys(self, query: StatsQuery, dates: DateRange) -> list[str]:
        return self.rest.prop_keys(query, dates)


RAW: CountSource = RawSource()
ROLLED: CountSource = RolledSource(RAW)


def configured() -> CountSource:
    """What stats.run counts from unless told: rollups where they answer (the standard questions, faster
    than any scan), and the rest from the event store where one is configured (EVENT_STORE), else from
    raw events."""
    store = event_store()
    return ROLLED if store is None else RolledSource(ClickHouseSource(store))
