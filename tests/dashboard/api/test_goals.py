"""Goals and funnels over the REST API: managing a site's, and counting them through the Stats API."""

from __future__ import annotations

import pytest

from sites.goals import funnel_create, goal_create
from sites.models import Funnel, Goal

pytestmark = pytest.mark.django_db

GOALS = "/api/v1/sites/stats.example/goals"
DAY = {"site_id": "stats.example", "period": "day", "date": "2026-11-20"}


def bearer(secrets, scope="sites:manage") -> dict[str, str]:
    return {"Authorization": f"Bearer {secrets[scope]}"}


def test_add_list_and_remove_goals(client, secrets):
    added = client.post(
        GOALS,
        {"goal_type": "event", "event_name": "Signup", "custom_props": {"plan": "pro"}},
        "application/json",
        headers=bearer(secrets),
    )
    assert added.status_code == 201
    goal = added.json()
    assert goal == {
        "id": goal["id"],
        "goal_type": "event",
        "display_name": "Signup (plan=pro)",
        "event_name": "Signup",
        "page_path": "",
        "custom_props": {"plan": "pro"},
    }
    page = client.post(
        GOALS,
        {"goal_type": "page", "page_path": "/blog/**", "display_name": "Reads"},
        "application/json",
        headers=bearer(secrets),
    )
    assert page.status_code == 201

    listed = client.get(GOALS, headers=bearer(secrets)).json()["goals"]
    assert [g["display_name"] for g in listed] == ["Signup (plan=pro)", "Reads"]

    assert client.delete(f"{GOALS}/{goal['id']}", headers=bearer(secrets)).status_code == 204
    assert [g["display_name"] for g in client.get(GOALS, headers=bearer(secrets)).json()["goals"]] == ["Reads"]
    again = client.delete(f"{GOALS}/{goal['id']}", headers=bearer(secrets))
    assert (again.status_code, again.json()["error"]["code"]) == (404, "goal_not_found")


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({}, 400, "invalid_field", "goal_type"),
        ({"goal_type": "funnel"}, 400, "invalid_field", "goal_type"),
        ({"goal_type": "page"}, 400, "invalid_field", "page_path"),
        ({"goal_type": "page", "page_path": "no-slash"}, 400, "invalid_field", "page_path"),
        ({"goal_type": "event", "event_name": "pageview"}, 400, "invalid_field", "event_name"),
        ({"goal_type": "event", "event_name": "A", "custom_props": ["plan"]}, 400, "invalid_field", "custom_props"),
        (
            {"goal_type": "event", "event_name": "A", "custom_props": {"a": "1", "b": "2"}},
            400,
            "invalid_field",
            "custom_props",
        ),
        ({"goal_type": "event", "event_name": "A" * 121}, 400, "invalid_field", "event_name"),
        ({"goal_type": "event", "event_name": "Signup"}, 409, "goal_exists", None),
        ({"goal_type": "page", "page_path": "/x", "display_name": "Signup"}, 409, "goal_exists", "display_name"),
    ],
)
def test_bad_goals_are_refused_with_their_field(client, secrets, site, body, status, code, field):
    goal_create(site=site, goal_type="event", event_name="Signup")
    response = client.post(GOALS, body, "application/json", headers=bearer(secrets))
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["field"] == field
    assert Goal.objects.count() == 1


def test_a_body_that_is_not_json(client, secrets):
    response = client.post(GOALS, "{", "application/json", headers=bearer(secrets))
    assert (response.status_code, response.json()["error"]["code"]) == (400, "parse_error")


# The last: a full-width digit one, which str.isdigit() takes for a digit.
@pytest.mark.parametrize("goal_id", ["x", "-1", "1.5", "99999999999999999999999", "1/2", "\uff11"])
def test_goal_ids_that_are_not_ids_are_not_found(client, secrets, goal_id):
    response = client.delete(f"{GOALS}/{goal_id}", headers=bearer(secrets))
    assert (response.status_code, response.json()["error"]["code"]) == (404, "goal_not_found")


@pytest.fixture
def goals(site):
    goal_create(site=site, goal_type="event", event_name="Signup")
    goal_create(site=site, goal_type="page", page_path="/blog/*")


def test_stats_count_goals(client, secrets, goals):
    read = bearer(secrets, "stats:read")
    aggregate = client.get(
        "/api/v1/stats/aggregate",
        {
            **DAY,
            "filters": "event:goal==Signup",
            "metrics": "visitors,events,conversion_rate",
            "compare": "previous_period",
        },
        headers=read,
    ).json()["results"]
    # One of the day's three visitors signed up; nobody the day before (one visitor).
    assert aggregate == {
        "visitors": {"value": 1, "comparison_value": 0, "change": None},
        "events": {"value": 1, "comparison_value": 0, "change": None},
        # The day before had a visitor, so a rate of 0 to rise from.
        "conversion_rate": {"value": 33.3, "comparison_value": 0.0, "change": 33.3},
    }
    breakdown = client.get(
        "/api/v1/stats/breakdown",
        {**DAY, "property": "event:goal", "metrics": "visitors,conversion_rate"},
        headers=read,
    ).json()["results"]
    assert breakdown == [
        {"goal": "Visit /blog/*", "visitors": 2, "conversion_rate": 66.7},
        {"goal": "Signup", "visitors": 1, "conversion_rate": 33.3},
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"metrics": "visitors,conversion_rate"}, "metrics"),
        ({"filters": "event:goal~Sign"}, "filters"),
        ({"filters": "event:goal=="}, "filters"),
    ],
)
def test_goal_queries_that_cannot_run(client, secrets, goals, params, field):
    response = client.get("/api/v1/stats/aggregate", {**DAY, **params}, headers=bearer(secrets, "stats:read"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_query", field)


def test_graphql_breaks_down_by_goal(client, secrets, goals):
    query = """{ site(domain: "stats.example") {
        breakdown(property: "event:goal", period: "day", date: "2026-11-20") { value visitors conversion_rate }
        plain: breakdown(property: "event:page", period: "day", date: "2026-11-20", limit: 1) { value conversion_rate }
    } }"""
    response = client.post("/api/graphql", {"query": query}, "application/json", headers=bearer(secrets, "stats:read"))
    site = response.json()["data"]["site"]
    assert site["breakdown"] == [
        {"value": "Visit /blog/*", "visitors": 2, "conversion_rate": 66.7},
        {"value": "Signup", "visitors": 1, "conversion_rate": 33.3},
    ]
    assert site["plain"] == [{"value": "/blog/x", "conversion_rate": None}]


FUNNELS = "/api/v1/sites/stats.example/funnels"


@pytest.fixture
def reads(site):
    goal_create(site=site, goal_type="page", page_path="/blog/x")
    goal_create(site=site, goal_type="page", page_path="/about")
    return ["Visit /blog/x", "Visit /about"]


def test_add_list_and_remove_funnels(client, secrets, reads):
    added = client.post(FUNNELS, {"name": "Reads", "steps": reads}, "application/json", headers=bearer(secrets))
    assert added.status_code == 201
    funnel = added.json()
    assert funnel == {"id": funnel["id"], "name": "Reads", "steps": reads}
    assert client.get(FUNNELS, headers=bearer(secrets)).json() == {"funnels": [funnel]}
    assert client.delete(f"{FUNNELS}/{funnel['id']}", headers=bearer(secrets)).status_code == 204
    assert client.get(FUNNELS, headers=bearer(secrets)).json() == {"funnels": []}
    again = client.delete(f"{FUNNELS}/{funnel['id']}", headers=bearer(secrets))
    assert (again.status_code, again.json()["error"]["code"]) == (404, "funnel_not_found")


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"steps": ["Visit /blog/x", "Visit /about"]}, 400, "invalid_field", "name"),
        ({"name": "x"}, 400, "invalid_field", "steps"),
        ({"name": "x", "steps": ["Visit /blog/x"]}, 400, "invalid_field", "steps"),
        ({"name": "x", "steps": ["Visit /blog/x"] * 9}, 400, "invalid_field", "steps"),
        ({"name": "x", "steps": "Visit /blog/x,Visit /about"}, 400, "invalid_field", "steps"),
        ({"name": "x", "steps": ["Visit /blog/x", "Nope"]}, 400, "invalid_field", "steps"),
        ({"name": "x", "steps": ["Visit /blog/x", "Visit /blog/x"]}, 400, "invalid_field", "steps"),
        ({"name": "Taken", "steps": ["Visit /about", "Visit /blog/x"]}, 409, "funnel_exists", "name"),
    ],
)
def test_bad_funnels_are_refused_with_their_field(client, secrets, site, reads, body, status, code, field):
    funnel_create(site=site, name="Taken", steps=reads)
    response = client.post(FUNNELS, body, "application/json", headers=bearer(secrets))
    assert response.status_code == status
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)
    assert Funnel.objects.count() == 1


def test_the_funnel_endpoint(client, secrets, site, reads):
    funnel = funnel_create(site=site, name="Reads", steps=reads)
    read = bearer(secrets, "stats:read")
    by_name = client.get("/api/v1/stats/funnel", {**DAY, "funnel": "Reads"}, headers=read).json()
    # A and B read /blog/x; A went on to /about.
    assert by_name == {
        "funnel": {"id": funnel.id, "name": "Reads"},
        "all_visitors": 3,
        "entering_visitors": 2,
        "steps": [
            {
                "goal": "Visit /blog/x",
                "visitors": 2,
                "conversion_rate": 100.0,
                "conversion_rate_step": 100.0,
                "dropoff": 0,
                "dropoff_rate": 0.0,
            },
            {
                "goal": "Visit /about",
                "visitors": 1,
                "conversion_rate": 50.0,
                "conversion_rate_step": 50.0,
                "dropoff": 1,
                "dropoff_rate": 50.0,
            },
        ],
    }
    by_id = client.get("/api/v1/stats/funnel", {**DAY, "funnel": str(funnel.id)}, headers=read).json()
    assert by_id == by_name
    compared = client.get(
        "/api/v1/stats/funnel", {**DAY, "funnel": "Reads", "compare": "previous_period"}, headers=read
    ).json()
    assert compared["comparison"]["all_visitors"] == 1
    assert [step["visitors"] for step in compared["comparison"]["steps"]] == [0, 0]
    filtered = client.get(
        "/api/v1/stats/funnel", {**DAY, "funnel": "Reads", "filters": "visit:source==Google"}, headers=read
    ).json()
    assert [step["visitors"] for step in filtered["steps"]] == [1, 1]


@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({}, 400, "invalid_query", "funnel"),
        ({"funnel": ""}, 400, "invalid_query", "funnel"),
        ({"funnel": "x" * 121}, 400, "invalid_query", "funnel"),
        ({"funnel": "Nope"}, 404, "funnel_not_found", "funnel"),
        ({"funnel": "Reads", "period": "week"}, 400, "invalid_query", "period"),
        ({"funnel": "Reads", "filters": "event:goal~x"}, 400, "invalid_query", "filters"),
    ],
)
def test_funnel_queries_that_cannot_run(client, secrets, site, reads, params, status, code, field):
    funnel_create(site=site, name="Reads", steps=reads)
    response = client.get("/api/v1/stats/funnel", {**DAY, **params}, headers=bearer(secrets, "stats:read"))
    assert response.status_code == status
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)
