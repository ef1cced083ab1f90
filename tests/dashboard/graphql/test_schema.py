"""The GraphQL schema: every field answers, the answers equal the REST API's, and schema.graphql is current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLObjectType, TypeInfo, TypeInfoVisitor, Visitor, get_named_type, parse, visit
from strawberry.printer import print_schema

from dashboard.graphql.schema import schema
from sites.goals import funnel_create, goal_create
from stats.query import METRICS
from tests.dashboard.api.test_stats import get
from tests.dashboard.graphql.conftest import data, errors, post

pytestmark = pytest.mark.django_db

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "dashboard" / "graphql" / "schema.graphql"
DAY = 'period: "day", date: "2026-11-20"'
ALL_METRICS = " ".join(METRICS)
AGGREGATE_VALUES = " ".join(f"{m} {{ value comparison_value change }}" for m in METRICS)

# Every field of every type: a test below holds it to the schema, so a new field must be added here.
FUNNEL_STEP = "goal visitors conversion_rate conversion_rate_step dropoff dropoff_rate"
FULL_QUERY = f"""
{{
  sites {{ domain }}
  site(domain: "stats.example") {{
    domain name timezone realtime_visitors
    aggregate({DAY}, compare: "previous_period") {{ {AGGREGATE_VALUES} }}
    timeseries(period: "7d", date: "2026-11-20") {{ date {ALL_METRICS} }}
    breakdown(property: "event:page", {DAY}) {{ value {ALL_METRICS} }}
    funnel(funnel: "Reads", {DAY}, compare: "previous_period") {{
      id name all_visitors entering_visitors steps {{ {FUNNEL_STEP} }}
      comparison {{ all_visitors entering_visitors steps {{ {FUNNEL_STEP} }} }}
    }}
  }}
}}
"""


def test_schema_file_is_current():
    """Regenerate it with `make graphql-schema` after changing the schema."""
    assert SCHEMA_FILE.read_text().rstrip("\n") == print_schema(schema).rstrip("\n")


def schema_fields() -> set[tuple[str, str]]:
    types = schema._schema.type_map.values()
    return {
        (named.name, field)
        for named in types
        if isinstance(named, GraphQLObjectType) and not named.name.startswith("__")
        for field in named.fields
    }


def test_the_full_query_selects_every_field_of_the_schema():
    info = TypeInfo(schema._schema)
    seen: set[tuple[str, str]] = set()

    class Fields(Visitor):
        def enter_field(self, node, *_):
            parent = info.get_parent_type()
            if parent is not None:
                seen.add((get_named_type(parent).name, node.name.value))

    visit(parse(FULL_QUERY), TypeInfoVisitor(info, Fields()))
    assert seen == schema_fields()


def test_every_metric_of_the_stats_layer_is_a_field():
    fields = schema_fields()
    for type_name in ("Aggregate", "TimeseriesRow", "BreakdownRow"):
        assert {name for owner, name in fields if owner == type_name} >= set(METRICS), type_name


def test_the_full_query(client, reader, site):
    goal_create(site=site, goal_type="page", page_path="/blog/x")
    goal_create(site=site, goal_type="page", page_path="/about")
    funnel = funnel_create(site=site, name="Reads", steps=["Visit /blog/x", "Visit /about"])
    answer = data(client, FULL_QUERY, reader)
    assert answer["sites"] == [{"domain": "stats.example"}]
    site = answer["site"]
    assert (site["domain"], site["name"], site["timezone"], site["realtime_visitors"]) == (
        "stats.example",
        "stats.example",
        "UTC",
        0,
    )
    aggregate = site["aggregate"]
    assert aggregate["visitors"] == {"value": 3, "comparison_value": 1, "change": 200}
    assert (aggregate["pageviews"]["value"], aggregate["bounce_rate"]["value"]) == (4, 67)
    assert aggregate["views_per_visit"]["value"] == pytest.approx(1.33)
    assert [row["date"] for row in site["timeseries"]] == [f"2026-11-{day}" for day in range(14, 21)]
    assert (site["timeseries"][-1]["visitors"], site["timeseries"][-2]["visitors"]) == (3, 1)
    assert [(row["value"], row["visitors"]) for row in site["breakdown"]] == [("/blog/x", 2), ("/", 1), ("/about", 1)]
    # The rows carry every metric selected, equal to the REST API's; without a goal, no conversion rate.
    rest = rest_breakdown(client, reader, GOALLESS)
    assert site["breakdown"] == [{"value": row.pop("page"), **row, "conversion_rate": None} for row in rest]
    # A and B read /blog/x, A went on to /about; the day before, A read / alone. As the REST API answers.
    day = {"site_id": "stats.example", "period": "day", "date": "2026-11-20"}
    rest_funnel = get(client, "funnel", reader, funnel="Reads", compare="previous_period", **day).json()
    assert site["funnel"] == {k: v for k, v in rest_funnel.items() if k != "funnel"} | {
        "id": funnel.id,
        "name": "Reads",
    }
    assert [(s["goal"], s["visitors"], s["dropoff"]) for s in site["funnel"]["steps"]] == [
        ("Visit /blog/x", 2, 0),
        ("Visit /about", 1, 1),
    ]
    assert site["funnel"]["comparison"]["all_visitors"] == 1


def rest_breakdown(client, reader, metrics: str, prop: str = "event:page") -> list[dict[str, Any]]:
    """Return the REST API's breakdown of 2026-11-20 with these metrics."""
    params = {"site_id": "stats.example", "property": prop, "metrics": metrics}
    response = get(client, "breakdown", reader, period="day", date="2026-11-20", **params)
    assert response.status_code == 200
    return response.json()["results"]


def test_realtime_visitors(client, reader, recent_visitors):
    assert data(client, '{ site(domain: "stats.example") { realtime_visitors } }', reader) == {
        "site": {"realtime_visitors": recent_visitors}
    }


# --- Equality with the REST API ---------------------------------------------------------------

ROW_NAME = {"breakdown": "value", "timeseries": "date"}


def metric_names(params: dict[str, Any]) -> list[str]:
    """Return the known metrics the parameters name (visitors when none), to select them."""
    return [m for m in (params.get("metrics") or "visitors").split(",") if m in METRICS] or ["visitors"]


def as_graphql(path: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Return the GraphQL query (and variables) asking what the REST request asks."""
    metrics = metric_names(params)
    types = {"limit": "Int!", "page": "Int!", "period": "String!", "property": "String!"}
    declared = ", ".join(f"${name}: {types.get(name, 'String')}" for name in params)
    arguments = ", ".join(f"{name}: ${name}" for name in params)
    if path == "aggregate":
        selection = " ".join(f"{m} {{ value comparison_value change }}" for m in metrics)
    else:
        selection = f"{ROW_NAME[path]} {' '.join(metrics)}"
    query = f'query Q({declared}) {{ site(domain: "stats.example") {{ {path}({arguments}) {{ {selection} }} }} }}'
    return query, params


def as_rest(path: str, params: dict[str, Any], answer: Any) -> Any:
    """Return the GraphQL answer in the REST API's shape."""
    metrics = metric_names(params)
    if path == "aggregate":
        keys = ("value", "comparison_value", "change") if params.get("compare") else ("value",)
        return {m: {k: answer[m][k] for k in keys} for m in metrics}
    name = params["property"].rsplit(":", 1)[-1] if path == "breakdown" else "date"
    return [{name: row[ROW_NAME[path]], **{m: row[m] for m in metrics}} for row in answer]


# Every metric that needs no goal (conversion_rate is refused without one).
GOALLESS = ",".join(m for m in METRICS if m != "conversion_rate")
SAME_QUERIES = [
    ("aggregate", {"period": "day", "date": "2026-11-20", "metrics": GOALLESS}),
    ("aggregate", {"period": "day", "date": "2026-11-20", "compare": "previous_period", "metrics": GOALLESS}),
    (
        "aggregate",
        {"period": "7d", "date": "2026-11-20", "filters": "event:page==/blog/x", "metrics": "visitors,visits"},
    ),
    ("aggregate", {"period": "12mo", "date": "2026-11-20", "compare": "year_over_year"}),
    ("aggregate", {"period": "custom", "date": "2026-11-19,2026-11-20", "filters": "visit:source~goo"}),
    # Empty values are absent ones, in both.
    ("aggregate", {"period": "day", "date": "2026-11-20", "metrics": "", "filters": "", "compare": ""}),
    ("timeseries", {"period": "7d", "date": "2026-11-20", "metrics": "visitors,pageviews,views_per_visit"}),
    ("timeseries", {"period": "day", "date": "2026-11-20", "interval": "hour", "metrics": "visitors,events"}),
    ("timeseries", {"period": "month", "date": "2026-11-20", "interval": "week", "metrics": "visits,bounce_rate"}),
    ("breakdown", {"period": "day", "date": "2026-11-20", "property": "event:page", "limit": 2, "page": 1}),
    ("breakdown", {"period": "day", "date": "2026-11-20", "property": "event:page", "limit": 2, "page": 2}),
    ("breakdown", {"period": "7d", "date": "2026-11-20", "property": "visit:source", "metrics": "visits,pageviews"}),
    ("breakdown", {"period": "day", "date": "2026-11-20", "property": "event:props:plan", "metrics": "events"}),
    ("breakdown", {"period": "day", "date": "2026-11-20", "property": "event:name", "filters": "event:page!=/about"}),
    ("breakdown", {"period": "day", "date": "2026-11-20", "property": "visit:entry_page", "metrics": "scroll_depth"}),
]


@pytest.mark.parametrize(("path", "params"), SAME_QUERIES)
def test_answers_equal_the_rest_apis(client, reader, path, params):
    rest = get(client, path, reader, site_id="stats.example", **params)
    assert rest.status_code == 200
    query, variables = as_graphql(path, params)
    answer = data(client, query, reader, variables)["site"][path]
    assert as_rest(path, params, answer) == rest.json()["results"]


BAD_VALUES = [
    ("aggregate", {"period": "fortnight"}),
    ("aggregate", {"metrics": "revenue"}),
    ("aggregate", {"filters": "visit:planet==Mars"}),
    ("aggregate", {"filters": "event:page"}),
    ("aggregate", {"period": "custom", "date": "2026-01-01"}),
    ("aggregate", {"period": "custom", "date": "2020-01-01,2026-01-01"}),
    ("aggregate", {"period": "7d", "date": "0001-01-01"}),
    ("aggregate", {"compare": "last_week"}),
    ("timeseries", {"interval": "minute"}),
    ("breakdown", {"property": "visit:planet"}),
    ("breakdown", {"property": ""}),
    ("breakdown", {"property": "event:page", "limit": 0}),
    ("breakdown", {"property": "event:page", "limit": 1001}),
    ("breakdown", {"property": "event:page", "page": 0}),
]


@pytest.mark.parametrize(("path", "params"), BAD_VALUES)
def test_bad_values_get_the_rest_apis_code_field_and_message(client, reader, path, params):
    rest = get(client, path, reader, site_id="stats.example", **params)
    assert rest.status_code == 400
    query, variables = as_graphql(path, params)
    [error] = errors(client, query, reader, variables)
    expected = rest.json()["error"]
    assert error["extensions"] == {"code": expected["code"], "field": expected["field"]}
    assert error["message"] == expected["message"]
    assert error["path"] == ["site", path]


# --- Which metrics are counted ----------------------------------------------------------------


def test_metrics_default_to_those_selected(client, reader):
    query = f'{{ site(domain: "stats.example") {{ aggregate({DAY}) {{ pageviews {{ value }} events {{ value }} }} }} }}'
    assert data(client, query, reader)["site"]["aggregate"] == {"pageviews": {"value": 4}, "events": {"value": 5}}


def test_metrics_selected_in_fragments_are_counted(client, reader):
    query = f"""
    fragment Views on BreakdownRow {{ pageviews }}
    {{ site(domain: "stats.example") {{ breakdown(property: "event:page", {DAY}) {{
        value ... on BreakdownRow {{ visitors }} ...Views }} }} }}
    """
    rows = data(client, query, reader)["site"]["breakdown"]
    assert rows[0] == {"value": "/blog/x", "visitors": 2, "pageviews": 2}


def test_named_metrics_come_first_and_order_a_breakdown(client, reader):
    by_pageviews = f'breakdown(property: "visit:source", {DAY}) {{ value pageviews visitors }}'
    by_visitors = f'breakdown(property: "visit:source", {DAY}, metrics: "visitors") {{ value pageviews visitors }}'
    query = f'{{ site(domain: "stats.example") {{ a: {by_pageviews} b: {by_visitors} }} }}'
    site = data(client, query, reader)["site"]
    by_rest_pageviews = rest_breakdown(client, reader, "pageviews,visitors", "visit:source")
    by_rest_visitors = rest_breakdown(client, reader, "visitors,pageviews", "visit:source")
    assert [row["value"] for row in site["a"]] == [row["source"] for row in by_rest_pageviews]
    assert [row["value"] for row in site["b"]] == [row["source"] for row in by_rest_visitors]
    assert [row["value"] for row in site["a"]] != [row["value"] for row in site["b"]]


def test_metrics_not_asked_for_are_null(client, reader):
    query = f'{{ site(domain: "stats.example") {{ timeseries({DAY}, interval: "day") {{ date }} }} }}'
    assert data(client, query, reader)["site"]["timeseries"] == [{"date": "2026-11-20"}]
    query = f'{{ site(domain: "stats.example") {{ aggregate({DAY}) {{ visitors {{ change comparison_value }} }} }} }}'
    assert data(client, query, reader)["site"]["aggregate"] == {"visitors": {"change": None, "comparison_value": None}}


def test_one_failing_field_leaves_the_others(client, reader):
    query = f"""{{ site(domain: "stats.example") {{
        good: aggregate({DAY}) {{ visitors {{ value }} }}
        bad: aggregate({DAY}, filters: "nonsense") {{ visitors {{ value }} }} }} }}"""
    body = post(client, query, reader).json()
    assert body["data"] == {"site": {"good": {"visitors": {"value": 3}}, "bad": None}}
    assert [error["path"] for error in body["errors"]] == [["site", "bad"]]


def test_a_dashboard_in_one_request_has_bounded_queries(client, reader, django_assert_max_num_queries):
    panels = " ".join(
        f'{name}: breakdown(property: "{prop}", {DAY}) {{ value visitors }}'
        for name, prop in [("pages", "event:page"), ("sources", "visit:source"), ("countries", "visit:country")]
    )
    query = f"""{{ site(domain: "stats.example") {{
        aggregate({DAY}, compare: "previous_period") {{ visitors {{ value }} pageviews {{ value }} }}
        timeseries({DAY}) {{ date visitors }} {panels} }} }}"""
    with django_assert_max_num_queries(30):
        data(client, query, reader)
