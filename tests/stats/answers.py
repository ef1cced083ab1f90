"""The answers of stats.run as the tests compare them: an aggregate's values, a timeseries' rows and a
breakdown's rows as the REST API shapes them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import stats
from dashboard.results import breakdown_json, timeseries_json
from stats import Kind, StatsQuery
from stats.counts import MetricValue
from stats.query import DateRange
from stats.sources import RAW, ROLLED, CountSource, configured


def aggregate(query: StatsQuery, *, source: CountSource = ROLLED) -> dict[str, MetricValue]:
    return stats.run(replace(query, kind=Kind.AGGREGATE), source=source).values


def timeseries(query: StatsQuery, *, source: CountSource = ROLLED) -> list[dict[str, Any]]:
    return timeseries_json(stats.run(replace(query, kind=Kind.TIMESERIES), source=source))["results"]


def breakdown(
    query: StatsQuery, *, source: CountSource = ROLLED, limit: int = 100, page: int = 1
) -> list[dict[str, Any]]:
    result = stats.run(replace(query, kind=Kind.BREAKDOWN, limit=limit, page=page), source=source)
    return breakdown_json(result)["results"]


def assert_configured_answers_as_raw(site_id: int, dates: DateRange) -> None:
    """The configured source (an event store, say) answers as raw events do: totals with the visits'
    metrics, and breakdowns by a visit's source and entry page and by a custom property."""
    for name in (None, "visit:source", "visit:entry_page", "event:props:seats"):
        query = StatsQuery(site_id=site_id, dates=dates, metrics=("visitors", "bounce_rate", "visit_duration"))
        if name is None:
            assert aggregate(query, source=configured()) == aggregate(query, source=RAW)
        else:
            query = replace(query, breakdown=name)
            assert breakdown(query, source=configured()) == breakdown(query, source=RAW), name
