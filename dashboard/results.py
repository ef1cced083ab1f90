"""A stats Result as the JSON the REST API and the dashboard's pages read.

Aggregates are {metric: {"value"[, "comparison_value", "change"]}}; timeseries rows {"date", metric...}
in the site's time zone, with the comparison's rows beside them; breakdown rows name the value by the
property's last part (`page`, `source`, a custom property's key), as Plausible's API does.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from stats import FunnelResult, Result, imported
from stats.funnels import FunnelCounts

Json = dict[str, Any]


def _imported(result: Result) -> Json:
    """With `with_imported`: whether imported data is in the numbers, and if not, why (as Plausible warns)."""
    if result.imported is None:
        return {}
    return {"imported_included": result.imported} | ({} if result.imported else {"warning": imported.WARNING})


def aggregate_json(result: Result) -> Json:
    if result.query.comparison is None:
        return {"results": {name: {"value": v.value} for name, v in result.values.items()}, **_imported(result)}
    return {
        "results": {
            name: {"value": v.value, "comparison_value": v.comparison, "change": v.change}
            for name, v in result.values.items()
        },
        **_imported(result),
    }


def _dated(rows: list[tuple[Any, Json]]) -> list[Json]:
    return [{"date": bucket, **values} for bucket, values in rows]


def timeseries_json(result: Result) -> Json:
    data: Json = {"results": _dated(result.rows), **_imported(result)}
    if result.comparison_rows is not None:
        data["comparison"] = _dated(result.comparison_rows)
    return data


def breakdown_json(result: Result, *, more: bool = False) -> Json:
    """The rows, and with `more` whether further pages hold rows (the dashboard's "more" link)."""
    name = str(result.query.breakdown).rsplit(":", 1)[-1]
    data: Json = {"results": [{name: value, **values} for value, values in result.rows], **_imported(result)}
    if more:
        data["more"] = result.more
    return data


def _funnel_counts(counts: FunnelCounts) -> Json:
    return {
        "all_visitors": counts.all_visitors,
        "entering_visitors": counts.entering_visitors,
        "steps": [asdict(step) for step in counts.steps],
    }


def funnel_json(result: FunnelResult) -> Json:
    """The funnel, its steps' figures, and with a comparison the same over the comparison period."""
    data: Json = {"funnel": {"id": result.funnel.id, "name": result.funnel.name}, **_funnel_counts(result.counts)}
    if result.comparison is not None:
        data["comparison"] = _funnel_counts(result.comparison)
    return data
