"""What one GraphQL request may ask: tokens, depth and stats fields, each refused with its own code."""

from __future__ import annotations

import time

import pytest
from graphql import OperationDefinitionNode, get_introspection_query, parse

from dashboard.graphql.limits import MAX_DEPTH, MAX_TOKENS, Shape, operation_shape
from sites.keys import api_key_create
from tests.dashboard.graphql.conftest import data, errors, post
from tests.factories import MembershipFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

AGGREGATE = "aggregate { visitors { value } }"


def shape(document: str) -> Shape:
    parsed = parse(document)
    [operation] = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    return operation_shape(parsed, operation)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("{ sites { domain } }", Shape(1, 0, 0)),
        (f'{{ site(domain: "a") {{ {AGGREGATE} }} }}', Shape(3, 1, 0)),
        (f'{{ site(domain: "a") {{ a: {AGGREGATE} b: {AGGREGATE} realtime_visitors }} }}', Shape(3, 3, 0)),
        (f"{{ sites {{ {AGGREGATE} timeseries {{ date }} }} }}", Shape(3, 0, 2)),
        (
            f'{{ s: site(domain: "a") {{ ...S }} sites {{ ...S }} }} fragment S on Site {{ {AGGREGATE} }}',
            Shape(3, 1, 1),
        ),
        (
            '{ site(domain: "a") { ... on Site { breakdown(property: "event:page") { value } } } }',
            Shape(2, 1, 0),
        ),
        ("{ __schema { types { fields { name } } } sites { domain } }", Shape(1, 0, 0)),
    ],
)
def test_operation_shape(document, expected):
    assert shape(document) == expected


def fan_out(levels: int, leaf: str) -> str:
    """Return fragments that each spread the next one twice: 2**levels copies of the leaf."""
    fragments = "\n".join(f"fragment F{i} on Site {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f'{{ site(domain: "stats.example") {{ ...F0 }} }}\n{fragments}\nfragment F{levels} on Site {{ {leaf} }}'


def test_fragments_spread_many_times_are_measured_once():
    started = time.monotonic()
    assert shape(fan_out(60, AGGREGATE)) == Shape(3, 2**60, 0)
    assert time.monotonic() - started < 1


def test_a_fragment_bomb_is_refused_at_once(client, reader):
    started = time.monotonic()
    [error] = errors(client, fan_out(60, AGGREGATE), reader)
    assert error["extensions"]["code"] == "too_many_stats_fields"
    assert time.monotonic() - started < 5


def test_deeper_than_the_limit_is_refused(client, reader):
    nested = "a { " * MAX_DEPTH + "b" + " }" * MAX_DEPTH
    found = errors(client, f'{{ site(domain: "stats.example") {{ {nested} }} }}', reader)
    assert "query_too_deep" in [error["extensions"]["code"] for error in found]


def test_the_deepest_query_of_the_schema_is_within_the_limit(client, reader):
    assert data(client, f'{{ site(domain: "stats.example") {{ {AGGREGATE} }} }}', reader)["site"]["aggregate"]


def test_introspection_is_within_the_limits(client, reader):
    assert data(client, get_introspection_query(), reader)["__schema"]["queryType"]["name"] == "Query"


def test_documents_over_the_token_limit_are_refused(client, reader):
    fields = " ".join(["domain"] * MAX_TOKENS)
    [error] = errors(client, f"{{ sites {{ {fields} }} }}", reader)
    assert error["extensions"] == {"code": "graphql_parse_failed", "field": None}
    assert f"more than {MAX_TOKENS} tokens" in error["message"]


def aggregates(count: int) -> str:
    return " ".join(f"a{n}: {AGGREGATE}" for n in range(count))


def test_stats_fields_up_to_the_limit_run(client, reader, settings):
    settings.GRAPHQL_MAX_STATS_FIELDS = 3
    answer = data(client, f'{{ site(domain: "stats.example") {{ {aggregates(3)} }} }}', reader)
    assert len(answer["site"]) == 3


def test_more_stats_fields_are_refused_before_any_runs(client, reader, settings, django_assert_max_num_queries):
    settings.GRAPHQL_MAX_STATS_FIELDS = 3
    with django_assert_max_num_queries(4):  # the key and its rate limit only: no site, no stats
        response = post(client, f'{{ site(domain: "stats.example") {{ {aggregates(4)} }} }}', reader)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "too_many_stats_fields", "field": None}
    assert "4 stats fields" in body["errors"][0]["message"]


def test_a_stats_field_under_sites_counts_once_per_site(client, settings):
    settings.GRAPHQL_MAX_STATS_FIELDS = 4
    user = UserFactory()
    for _ in range(2):
        MembershipFactory(user=user, site=SiteFactory())
    key = api_key_create(user=user, name="reader", scopes=["stats:read"])[1]
    two_each = f"{{ sites {{ {aggregates(2)} }} }}"
    assert len(data(client, two_each, key)["sites"]) == 2
    MembershipFactory(user=user, site=SiteFactory())
    [error] = errors(client, two_each, key)
    assert error["extensions"]["code"] == "too_many_stats_fields"
    assert "6 stats fields" in error["message"]


@pytest.mark.parametrize("limit", [0, 1001])
def test_a_breakdown_limit_outside_1_to_1000_is_refused(client, reader, limit):
    query = f'{{ site(domain: "stats.example") {{ breakdown(property: "event:page", limit: {limit}) {{ value }} }} }}'
    [error] = errors(client, query, reader)
    assert error["extensions"] == {"code": "invalid_query", "field": "limit"}
