"""The answers of stats.run as the tests compare them: an aggregate's values, a timeseries' rows and a
breakdown's rows as the REST API shapes them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import stats
from dashboard.results import breakdown_json, timeseries_json
from stats import Kind, StatsQuery
from stats.counts import MetricValue
from stats.sources import ROLLED, CountSource


def aggregate(query: StatsQuery, *, source: CountSource = ROLLED) -> dict[str, MetricValue]:
    return stats.run(replace(query, kind=Kind.AGGREGATE), source=source).values


def timeseries(query: StatsQuery, *, source: CountSource = ROLLED) -> list[dict[str, Any]]:
    return timeseries_json(stats.run(replace(query, kind=Kind.TIMESERIES), source=source))["results"]


def breakdown(
    query: StatsQuery, *, source: CountSource = ROLLED, limit: int = 100, page: int = 1
) -> list[dict[str, Any]]:
    result = stats.run(replace(query, kind=Kind.BREAKDOWN, limit=limit, page=page), source=source)
    return breakdown_json(result)["results"]
