"""/api/graphql over HTTP: bearer keys, scopes and sites per field, the shared rate limit, GraphiQL in DEBUG only."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from sites.keys import api_key_revoke
from sites.models import ApiKey
from tests.dashboard.api.test_stats import get
from tests.dashboard.graphql.conftest import ENDPOINT, post
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

SITES = "{ sites { domain } }"
SITE = '{ site(domain: "stats.example") { domain } }'
AGGREGATE = '{ site(domain: "stats.example") { aggregate(period: "day", date: "2026-11-20") { visitors { value } } } }'
EACH_AGGREGATE = '{ sites { domain aggregate(period: "day", date: "2026-11-20") { visitors { value } } } }'
REALTIME = '{ site(domain: "stats.example") { realtime_visitors } }'


def assert_error_list(body: dict, code: str) -> None:
    [error] = body["errors"]
    assert set(error) == {"message", "extensions"}
    assert error["extensions"]["code"] == code
    assert "data" not in body


@pytest.mark.parametrize(
    ("header", "code"),
    [(None, "missing_api_key"), ("Bearer ff_nope_nope", "invalid_api_key"), ("Basic dXNlcjpwdw==", "missing_api_key")],
)
def test_without_a_valid_key_is_401(client, site, header, code):
    headers = {"Authorization": header} if header else {}
    response = client.post(ENDPOINT, {"query": SITES}, content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response["Content-Type"] == "application/json"
    assert_error_list(response.json(), code)


def test_a_revoked_key_is_401(client, reader):
    api_key_revoke(key=ApiKey.objects.get(prefix=reader.split("_")[1]))
    assert post(client, SITES, reader).status_code == 401


# --- Who may read what: per field, as the REST API per endpoint ------------------------------------

ACTORS = ["stats:read", "events:write", "sites:manage", "stats:read elsewhere"]
OK = None
# query -> the error code each actor gets (None: answered), and what the answer is then
EXPECTED: dict[str, dict[str, str | None]] = {
    SITES: {"stats:read": OK, "events:write": "insufficient_scope", "sites:manage": OK, "stats:read elsewhere": OK},
    SITE: {
        "stats:read": OK,
        "events:write": "insufficient_scope",
        "sites:manage": "insufficient_scope",
        "stats:read elsewhere": "site_not_found",
    },
    EACH_AGGREGATE: {
        "stats:read": OK,
        "events:write": "insufficient_scope",
        "sites:manage": "insufficient_scope",
        "stats:read elsewhere": OK,
    },
}
EXPECTED[AGGREGATE] = EXPECTED[REALTIME] = EXPECTED[SITE]


@pytest.mark.parametrize("query", list(EXPECTED))
@pytest.mark.parametrize("actor", ACTORS)
def test_access(client, secrets, query, actor):
    response = post(client, query, secrets[actor])
    assert response.status_code == 200
    body = response.json()
    code = EXPECTED[query][actor]
    if code is None:
        assert "errors" not in body, body
    else:
        # One error per failing field: under `sites`, one per site.
        assert {error["extensions"]["code"] for error in body["errors"]} == {code}


def test_each_key_sees_only_its_sites(client, secrets):
    SiteFactory(domain="stranger.example")
    domains = {
        actor: [site["domain"] for site in post(client, SITES, secrets[actor]).json()["data"]["sites"]]
        for actor in ("stats:read", "sites:manage", "stats:read elsewhere")
    }
    assert domains == {
        "stats:read": ["elsewhere.example", "stats.example"],
        "sites:manage": ["elsewhere.example", "stats.example"],
        "stats:read elsewhere": ["elsewhere.example"],
    }


def test_another_users_site_looks_missing(client, reader):
    SiteFactory(domain="someone-else.example")
    hidden = post(client, '{ site(domain: "someone-else.example") { domain } }', reader).json()
    missing = post(client, '{ site(domain: "nowhere.example") { domain } }', reader).json()
    assert hidden["data"] == missing["data"] == {"site": None}
    assert hidden["errors"][0]["extensions"] == missing["errors"][0]["extensions"]
    assert hidden["errors"][0]["extensions"] == {"code": "site_not_found", "field": "domain"}


# --- Rate limit, shared with /api/v1/ -----------------------------------------------------------


def test_graphql_and_rest_count_against_one_limit_per_key(client, reader, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    assert get(client, "aggregate", reader, site_id="stats.example").status_code == 200
    assert post(client, SITES, reader).status_code == 200
    response = post(client, SITES, reader)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert_error_list(response.json(), "rate_limited")
    assert get(client, "aggregate", reader, site_id="stats.example").status_code == 429


# --- HTTP ---------------------------------------------------------------------------------------


def test_queries_work_over_get(client, reader):
    response = client.get(ENDPOINT, {"query": SITE}, headers={"Authorization": f"Bearer {reader}"})
    assert response.status_code == 200
    assert response.json() == {"data": {"site": {"domain": "stats.example"}}}


def test_variables_and_operation_names(client, reader):
    query = "query A($d: String!) { site(domain: $d) { domain } } query B { sites { domain } }"
    body = {"query": query, "variables": {"d": "stats.example"}, "operationName": "A"}
    headers = {"Authorization": f"Bearer {reader}"}
    response = client.post(ENDPOINT, body, content_type="application/json", headers=headers)
    assert response.json() == {"data": {"site": {"domain": "stats.example"}}}


def test_posts_need_no_csrf_token(reader):
    assert post(Client(enforce_csrf_checks=True), SITE, reader).status_code == 200


def test_there_is_nothing_to_mutate(client, reader):
    response = post(client, "mutation { deleteSite }", reader)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "graphql_validation_failed"
    assert "mutation" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("method", "body", "content_type", "status", "code"),
    [
        ("post", "{not json", "application/json", 400, "invalid_json"),
        ("post", '[{"query": "{ sites { domain } }"}]', "application/json", 400, "invalid_request"),
        ("post", '{"variables": {}}', "application/json", 400, "invalid_request"),
        ("post", '{"query": 5}', "application/json", 400, "invalid_request"),
        ("post", "query=x", "application/x-www-form-urlencoded", 400, "invalid_request"),
        ("put", '{"query": "{ sites { domain } }"}', "application/json", 405, "method_not_allowed"),
        ("delete", "", "application/json", 405, "method_not_allowed"),
    ],
)
def test_requests_that_are_not_graphql_get_json_errors(client, reader, method, body, content_type, status, code):
    response = getattr(client, method)(
        ENDPOINT, body, content_type=content_type, headers={"Authorization": f"Bearer {reader}"}
    )
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert_error_list(response.json(), code)
    if status == 405:
        assert response["Allow"] == "GET, POST"


# --- GraphiQL -----------------------------------------------------------------------------------

BROWSER = {"Accept": "text/html,application/xhtml+xml"}


def test_graphiql_is_not_served_without_debug(client, reader):
    assert client.get(ENDPOINT, headers=BROWSER).status_code == 401
    response = client.get(ENDPOINT, headers={**BROWSER, "Authorization": f"Bearer {reader}"})
    assert response.status_code == 400
    assert_error_list(response.json(), "invalid_request")


def test_graphiql_in_debug_loads_our_own_files_only(client, settings):
    settings.DEBUG = True
    response = client.get(ENDPOINT, headers=BROWSER)
    assert response.status_code == 200
    page = response.content.decode()
    assets = [
        "vendor/react/react.production.min.js",
        "vendor/react/react-dom.production.min.js",
        "vendor/graphiql/graphiql.min.js",
        "vendor/graphiql/graphiql.min.css",
        "dashboard/graphiql.js",
        "dashboard/graphiql.css",
    ]
    for asset in assets:
        assert f"/static/{asset}" in page
        assert finders.find(asset), asset
    assert "https://" not in page
    assert "<script>" not in page
    assert "<style" not in page
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["font-src"] == "'self' data:"


def test_the_graphql_api_itself_keeps_the_strict_policy(client, reader, settings):
    settings.DEBUG = True
    response = post(client, SITE, reader)
    assert "font-src" not in response["Content-Security-Policy"]
