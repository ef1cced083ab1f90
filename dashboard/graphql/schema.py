"""The GraphQL schema: the key's sites and, for each, the Stats API's aggregate, timeseries and breakdown.

Arguments are the Stats API's query parameters with the same text forms, checked by the same
code (dashboard/api/params.py), and the numbers come from the stats layer (`stats.run`), so an
answer equals the REST API's for the same query. Names are the
REST API's too (snake_case): `metrics: "views_per_visit"` is the field `views_per_visit`.

The metrics counted are those named in `metrics`, then every other metric field the query selects;
with neither, `visitors`, as in the REST API. A breakdown is ordered by the first of them.

Regenerate schema.graphql beside this file after a change: `make graphql-schema`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
import strawberry_django
from django.http import HttpRequest, HttpResponse, QueryDict
from strawberry.schema.config import StrawberryConfig
from strawberry.types.nodes import SelectedField, Selection

import stats
from analytics_site.errors import ApiError
from dashboard.api import openapi
from dashboard.api.params import stats_params, stats_query
from dashboard.graphql.errors import FootfallSchema, StableErrorCodes
from dashboard.graphql.limits import DepthLimit, StatsFieldLimit, TokenLimit
from sites import models
from sites.goals import funnel_of_site
from sites.selectors import require_scope, site_for_key, sites_for_key
from stats import Kind, Result, funnels
from stats.counts import MetricValue
from stats.dimensions import GOAL
from stats.query import METRICS, QueryError, parse_filters


@dataclass
class GraphQLContext:
    """What every resolver of one request shares: the authenticated key and one `now` for all its fields."""

    request: HttpRequest
    response: HttpResponse
    key: models.ApiKey
    now: datetime


Info = strawberry.Info[GraphQLContext, None]

# --- Answers --------------------------------------------------------------------------------------


@strawberry.type(description="An integer metric over the period, and with `compare` over the comparison period.")
class CountMetric:
    value: int | None
    comparison_value: int | None = strawberry.field(description="With `compare`: the metric then.")
    change: int | None = strawberry.field(
        description="With `compare`: the change in percent (percentage points for bounce_rate)."
    )


@strawberry.type(description="A fractional metric over the period, and with `compare` over the comparison period.")
class RatioMetric:
    value: float | None
    comparison_value: float | None = strawberry.field(description="With `compare`: the metric then.")
    change: float | None = strawberry.field(
        description="With `compare`: the change in percent (percentage points for conversion_rate)."
    )


DESCRIPTIONS = {
    "visitors": "Unique visitors.",
    "visits": "Visits (sessions).",
    "pageviews": "Page views.",
    "views_per_visit": "Page views per visit.",
    "bounce_rate": "Visits that bounced, in percent.",
    "visit_duration": "Mean visit duration, in seconds.",
    "events": "Events, page views included (engagement reports are not).",
    "engaged_time": "Mean engaged time per visit, in seconds.",
    "scroll_depth": "Mean scroll depth of the pages read, in percent; null without scroll reports.",
    "conversion_rate": "Visitors who completed the goal per 100 visitors of the query without its goal; "
    "needs an event:goal filter or breakdown.",
}


# The value type of each metric: two are fractions, the others counts.
FRACTIONS = ("views_per_visit", "conversion_rate")
METRIC_TYPES: dict[str, type] = {name: float if name in FRACTIONS else int for name in METRICS}


def _metric_type(name: str, description: str | None, field_type: Any) -> Any:
    """A type with one field per metric, each described; `field_type` maps a value type to the field's."""
    namespace: dict[str, Any] = {
        "__annotations__": {metric: field_type(value) for metric, value in METRIC_TYPES.items()},
        **{metric: strawberry.field(description=DESCRIPTIONS[metric]) for metric in METRIC_TYPES},
    }
    return strawberry.type(type(name, (), namespace), description=description)


# Built from the metric list, so a metric is declared once; to the type checker they are Any.
if TYPE_CHECKING:
    Aggregate = Any
    MetricFields = Any
else:
    Aggregate = _metric_type(
        "Aggregate",
        "Each metric over the period.",
        lambda value: (RatioMetric if value is float else CountMetric) | None,
    )
    # One field per metric, shared by timeseries and breakdown rows (not a type of the schema itself).
    MetricFields = _metric_type("MetricFields", None, lambda value: value | None)


@strawberry.type(description="The metrics of one bucket of the interval.")
class TimeseriesRow(MetricFields):
    date: str = strawberry.field(
        description="The bucket's start in the site's time zone: YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS for hours."
    )


@strawberry.type(description="The metrics of one value of the breakdown's property.")
class BreakdownRow(MetricFields):
    value: str = strawberry.field(description="The property's value, e.g. the page's path.")


# --- Arguments: the Stats API's parameters, described as the OpenAPI schema describes them ---------


def _argument(parameter: Any, more: str = "") -> Any:
    return strawberry.argument(description=parameter.description + more)


Period = Annotated[str, _argument(openapi.PERIOD)]
Day = Annotated[str | None, _argument(openapi.DATE)]
Metrics = Annotated[
    str | None,
    strawberry.argument(
        description=f"Comma-separated metrics, from: {', '.join(METRICS)}. Counted besides the metric fields "
        "selected; the first named (else the first selected) orders a breakdown's rows."
    ),
]
Filters = Annotated[str | None, _argument(openapi.FILTERS)]
Interval = Annotated[str | None, _argument(openapi.INTERVAL)]
Compare = Annotated[str | None, _argument(openapi.COMPARE, " One of previous_period, year_over_year.")]
Property = Annotated[
    str,
    strawberry.argument(
        description="The property to group by: " + ", ".join(openapi.PROPERTY_NAMES) + ". Rows carry its `value`."
    ),
]
Limit = Annotated[int, _argument(openapi.LIMIT, " From 1 to 1000.")]
Page = Annotated[int, _argument(openapi.PAGE)]


def _selected_metrics(selections: list[Selection]) -> list[str]:
    """Return the metric fields among the selections (fragments included), in the order written."""
    names: list[str] = []
    for selection in selections:
        if not isinstance(selection, SelectedField):
            names += _selected_metrics(selection.selections)
        elif selection.name in METRICS:
            names.append(selection.name)
    return names


def _has_goal(data: dict[str, str]) -> bool:
    try:
        filters = parse_filters(data.get("filters"))
    except QueryError:
        return False  # the query's own parse reports it
    return data.get("property") == GOAL or any(f.name == GOAL for f in filters)


def _run(root: models.Site, info: Info, kind: Kind, **params: Any) -> Result:
    """Parse a stats field's arguments as the REST API parses its query string, for this site, and run it."""
    require_scope(info.context.key, models.ApiKey.Scope.STATS_READ)
    # As a query string, so that every value means what it means to the REST API (an empty one is absent).
    text = QueryDict(mutable=True)
    text.update({"site_id": root.domain, **{k: str(v) for k, v in params.items() if v is not None}})
    data = stats_params(text)
    selected = [name for field in info.selected_fields for name in _selected_metrics(field.selections)]
    if "conversion_rate" in selected and not _has_goal(data):
        # Selected among the fields rather than asked for by name: without a goal there is no rate (null).
        selected = [name for name in selected if name != "conversion_rate"]
    asked = ",".join(name for name in (data.get("metrics"), *selected) if name)
    if asked:
        data["metrics"] = asked
    return stats.run(stats_query(root, data, kind=kind, now=info.context.now))


def _aggregate_value(name: str, value: MetricValue | None) -> Any:
    """Return the metric's CountMetric (a RatioMetric for fractions), or None when not counted."""
    if value is None:
        return None
    kind = RatioMetric if name in FRACTIONS else CountMetric
    return kind(value=value.value, comparison_value=value.comparison, change=value.change)  # type: ignore[arg-type]


def _row_metrics(values: dict[str, Any]) -> dict[str, Any]:
    return {name: values.get(name) for name in METRICS}


# --- Resolvers ------------------------------------------------------------------------------------


def resolve_aggregate(
    root: models.Site,
    info: Info,
    period: Period = "30d",
    date: Day = None,
    metrics: Metrics = None,
    filters: Filters = None,
    compare: Compare = None,
) -> Aggregate | None:
    result = _run(
        root, info, Kind.AGGREGATE, period=period, date=date, metrics=metrics, filters=filters, compare=compare
    )
    return Aggregate(**{name: _aggregate_value(name, result.values.get(name)) for name in METRICS})


def resolve_timeseries(
    root: models.Site,
    info: Info,
    period: Period = "30d",
    date: Day = None,
    metrics: Metrics = None,
    filters: Filters = None,
    interval: Interval = None,
) -> list[TimeseriesRow] | None:
    result = _run(
        root, info, Kind.TIMESERIES, period=period, date=date, metrics=metrics, filters=filters, interval=interval
    )
    return [TimeseriesRow(date=bucket.isoformat(), **_row_metrics(values)) for bucket, values in result.rows]


def resolve_breakdown(
    root: models.Site,
    info: Info,
    property: Property,
    period: Period = "30d",
    date: Day = None,
    metrics: Metrics = None,
    filters: Filters = None,
    limit: Limit = 100,
    page: Page = 1,
) -> list[BreakdownRow] | None:
    result = _run(
        root,
        info,
        Kind.BREAKDOWN,
        property=property,
        period=period,
        date=date,
        metrics=metrics,
        filters=filters,
        limit=limit,
        page=page,
    )
    return [BreakdownRow(value=value, **_row_metrics(values)) for value, values in result.rows]


@strawberry.type(description="One step of a funnel over a period.")
class FunnelStep:
    goal: str = strawberry.field(description="The step's goal, by display name.")
    visitors: int = strawberry.field(description="Visitors who reached the step.")
    conversion_rate: float = strawberry.field(description="Percent of the first step's visitors.")
    conversion_rate_step: float = strawberry.field(description="Percent of the previous step's visitors.")
    dropoff: int = strawberry.field(description="The previous step's visitors who did not reach this one.")
    dropoff_rate: float = strawberry.field(description="The drop-off in percent of the previous step's visitors.")


@strawberry.type(description="A funnel's steps over one period.")
class FunnelCounts:
    all_visitors: int = strawberry.field(description="The period's visitors after filters, in the funnel or not.")
    entering_visitors: int = strawberry.field(description="Visitors who reached the first step.")
    steps: list[FunnelStep]


@strawberry.type(description="A funnel of the site over the period, as GET /api/v1/stats/funnel.")
class FunnelAnswer(FunnelCounts):
    id: int
    name: str
    comparison: FunnelCounts | None = strawberry.field(description="With `compare`: over the comparison period.")


def _funnel_counts(counts: funnels.FunnelCounts) -> dict[str, Any]:
    return {
        "all_visitors": counts.all_visitors,
        "entering_visitors": counts.entering_visitors,
        "steps": [FunnelStep(**asdict(step)) for step in counts.steps],
    }


def resolve_funnel(
    root: models.Site,
    info: Info,
    funnel: Annotated[str, strawberry.argument(description="The funnel's id or name.")],
    period: Period = "30d",
    date: Day = None,
    filters: Filters = None,
    compare: Compare = None,
) -> FunnelAnswer | None:
    require_scope(info.context.key, models.ApiKey.Scope.STATS_READ)
    found = funnel_of_site(root, funnel)
    if found is None:
        raise ApiError("funnel_not_found", f"No funnel {funnel!r} of {root.domain}.", field="funnel", status=404)
    text = QueryDict(mutable=True)
    params = {"site_id": root.domain, "period": period, "date": date, "filters": filters, "compare": compare}
    text.update({k: str(v) for k, v in params.items() if v is not None})
    query = stats_query(root, stats_params(text), kind=Kind.AGGREGATE, now=info.context.now)
    result = stats.run_funnel(query, found)
    before = None if result.comparison is None else FunnelCounts(**_funnel_counts(result.comparison))
    return FunnelAnswer(id=found.id, name=found.name, comparison=before, **_funnel_counts(result.counts))


def resolve_realtime_visitors(root: models.Site, info: Info) -> int:
    require_scope(info.context.key, models.ApiKey.Scope.STATS_READ)
    return stats.realtime_visitors(root.id, info.context.now)


@strawberry_django.type(models.Site, description="A site the API key reaches.")
class Site:
    domain: strawberry.auto = strawberry_django.field(description="The domain the snippet reports, e.g. blog.example.")
    name: strawberry.auto = strawberry_django.field(description="The site's display name.")
    timezone: strawberry.auto = strawberry_django.field(description="The IANA time zone its days are counted in.")
    aggregate: Aggregate | None = strawberry.field(
        resolver=resolve_aggregate, description="Each metric over the period, as GET /api/v1/stats/aggregate."
    )
    timeseries: list[TimeseriesRow] | None = strawberry.field(
        resolver=resolve_timeseries,
        description="The metrics per bucket of the interval, empty buckets included, as GET /api/v1/stats/timeseries.",
    )
    breakdown: list[BreakdownRow] | None = strawberry.field(
        resolver=resolve_breakdown,
        description="The metrics per value of a property, largest first, as GET /api/v1/stats/breakdown.",
    )
    funnel: FunnelAnswer | None = strawberry.field(
        resolver=resolve_funnel, description="A funnel's steps over the period, as GET /api/v1/stats/funnel."
    )
    realtime_visitors: int | None = strawberry.field(
        resolver=resolve_realtime_visitors, description="Visitors in the last 5 minutes."
    )


@strawberry.type(description="Read-only: sites and their stats. Every field needs a bearer API key.")
class Query:
    @strawberry.field(description="The sites the key reaches, by domain (needs stats:read or sites:manage).")
    def sites(self, info: Info) -> list[Site]:
        return cast(list[Site], list(sites_for_key(info.context.key)))

    @strawberry.field(
        description="One site by its domain (needs stats:read). A site out of the key's reach is the error "
        "site_not_found, exactly as a missing one is."
    )
    def site(self, info: Info, domain: str) -> Site | None:
        return cast(Site, site_for_key(info.context.key, domain, field="domain"))


schema = FootfallSchema(
    query=Query,
    config=StrawberryConfig(auto_camel_case=False),
    extensions=[TokenLimit, DepthLimit, StatsFieldLimit, StableErrorCodes],
)
