"""Every GraphQL error carries a stable code; a bug is logged and shown without its message."""

from __future__ import annotations

import logging

import pytest
from graphql import GraphQLError, GraphQLSyntaxError, Source

import stats
from analytics_site.errors import ApiError
from dashboard.graphql.errors import INTERNAL, PARSE_FAILED, VALIDATION_FAILED, coded_error, error_code, with_code
from tests.dashboard.graphql.conftest import errors, post

pytestmark = pytest.mark.django_db

AGGREGATE = '{ site(domain: "stats.example") { aggregate { visitors { value } } } }'


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            GraphQLError("x", path=["site"], original_error=ApiError("site_not_found", "x", field="domain")),
            ("site_not_found", "domain"),
        ),
        (coded_error("too many", "too_many_stats_fields"), ("too_many_stats_fields", None)),
        (GraphQLSyntaxError(Source("{"), 1, "Expected Name"), (PARSE_FAILED, None)),
        (GraphQLError("Cannot query field 'x' on type 'Site'."), (VALIDATION_FAILED, None)),
        (
            GraphQLError("Variable '$limit' got invalid value", original_error=GraphQLError("not an Int")),
            (VALIDATION_FAILED, None),
        ),
        (GraphQLError("boom", path=["site", "aggregate"], original_error=RuntimeError("boom")), (INTERNAL, None)),
        (GraphQLError("boom", original_error=KeyError("boom")), (INTERNAL, None)),
    ],
)
def test_error_code(error, expected):
    assert error_code(error) == expected


def test_with_code_hides_a_bugs_message():
    error = with_code(GraphQLError("secret detail", path=["site"], original_error=RuntimeError("secret detail")))
    assert (error.message, error.extensions, error.path) == (
        "Internal error.",
        {"code": INTERNAL, "field": None},
        ["site"],
    )


def test_a_failing_resolver_answers_internal_error_and_is_logged(client, reader, monkeypatch, caplog):
    def broken(query, **options):
        raise RuntimeError("database exploded at 10.0.0.1")

    monkeypatch.setattr(stats, "run", broken)
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        response = post(client, AGGREGATE, reader)
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert (error["message"], error["extensions"]["code"], error["path"]) == (
        "Internal error.",
        INTERNAL,
        ["site", "aggregate"],
    )
    assert "exploded" not in response.content.decode()
    assert [record.exc_info[0] for record in caplog.records] == [RuntimeError]


def test_a_clients_mistake_is_answered_not_logged(client, reader, caplog):
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        found = errors(client, '{ site(domain: "nowhere.example") { domain } nope }', reader)
        found += errors(client, '{ site(domain: "nowhere.example") { domain } }', reader)
    assert [error["extensions"]["code"] for error in found] == [VALIDATION_FAILED, "site_not_found"]
    assert caplog.records == []
