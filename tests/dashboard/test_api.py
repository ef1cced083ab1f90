"""The Stats API v1: Plausible's shapes, bearer keys, scopes, and no leaks across sites."""

from __future__ import annotations

import pytest

from tests.factories import MembershipFactory, SiteFactory, UserFactory
from tracker.keys import api_key_create
from tracker.models import Membership

pytestmark = pytest.mark.django_db

DAY = {"period": "day", "date": "2026-11-20"}


@pytest.fixture
def key(site):
    user = UserFactory()
    MembershipFactory(user=user, site=site, role=Membership.Role.VIEWER)
    return api_key_create(user=user, name="reader", scopes=["stats:read"])[1]


def get(client, path, key, **params):
    return client.get(f"/api/v1/stats/{path}", params, headers={"Authorization": f"Bearer {key}"} if key else {})


def test_aggregate(client, key):
    response = get(client, "aggregate", key, site_id="stats.example", metrics="visitors,pageviews,bounce_rate", **DAY)
    assert response.status_code == 200
    assert response.json() == {
        "results": {"visitors": {"value": 3}, "pageviews": {"value": 4}, "bounce_rate": {"value": 67}}
    }


def test_aggregate_with_comparison(client, key):
    response = get(client, "aggregate", key, site_id="stats.example", compare="previous_period", **DAY)
    assert response.json() == {"results": {"visitors": {"value": 3, "comparison_value": 1, "change": 200}}}


def test_timeseries(client, key):
    response = get(client, "timeseries", key, site_id="stats.example", period="7d", date="2026-11-20")
    rows = response.json()["results"]
    assert len(rows) == 7
    assert rows[-1] == {"date": "2026-11-20", "visitors": 3}


def test_breakdown(client, key):
    response = get(
        client,
        "breakdown",
        key,
        site_id="stats.example",
        property="event:page",
        limit=2,
        metrics="visitors,pageviews",
        **DAY,
    )
    assert response.json() == {
        "results": [{"page": "/blog/x", "visitors": 2, "pageviews": 2}, {"page": "/", "visitors": 1, "pageviews": 1}]
    }


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("aggregate", {"period": "fortnight"}, "period"),
        ("aggregate", {"metrics": "revenue"}, "metrics"),
        ("aggregate", {"filters": "visit:planet==Mars"}, "filters"),
        ("aggregate", {"period": "custom", "date": "2026-01-01"}, "date"),
        ("timeseries", {"interval": "minute"}, "interval"),
        ("breakdown", {}, "property"),
        ("breakdown", {"property": "event:page", "limit": "0"}, "limit"),
    ],
)
def test_bad_queries_are_400_with_the_field(client, key, path, params, field):
    response = get(client, path, key, site_id="stats.example", **params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_query"
    assert response.json()["error"]["field"] == field


def test_missing_site_id_is_400(client, key):
    response = get(client, "aggregate", key)
    assert (response.status_code, response.json()["error"]["field"]) == (400, "site_id")


def test_no_key_is_401_and_bad_key_is_401(client, site):
    response = get(client, "aggregate", None, site_id="stats.example")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "missing_api_key")
    assert response["WWW-Authenticate"] == "Bearer"
    assert get(client, "aggregate", "ff_nope_nope", site_id="stats.example").status_code == 401


def test_key_without_stats_scope_is_403(client, site):
    user = UserFactory()
    MembershipFactory(user=user, site=site)
    _, writer = api_key_create(user=user, name="writer", scopes=["events:write"])
    response = get(client, "aggregate", writer, site_id="stats.example")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "insufficient_scope")


def test_other_sites_and_missing_sites_look_the_same(client, key):
    SiteFactory(domain="someone-else.example")
    hidden = get(client, "aggregate", key, site_id="someone-else.example")
    missing = get(client, "aggregate", key, site_id="nowhere.example")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "site_not_found"


def test_key_restricted_to_another_site_gets_404(client, site):
    user = UserFactory()
    MembershipFactory(user=user, site=site)
    other = MembershipFactory(user=user).site
    _, narrowed = api_key_create(user=user, name="narrow", scopes=["stats:read"], sites=[other])
    assert get(client, "aggregate", narrowed, site_id="stats.example").status_code == 404


def test_realtime_visitors(client, key, site):
    from datetime import timedelta

    from django.utils import timezone

    from tests.dashboard.conftest import hit
    from tracker import pipeline

    now = timezone.now()
    recent = [hit(site, 9, 0, "/live"), hit(site, 8, 0, "/live"), hit(site, 7, 0, "/old")]
    for event, age in zip(recent, (60, 200, 600), strict=True):
        event.timestamp = now - timedelta(seconds=age)
    pipeline.process_batch(recent)
    response = client.get(
        "/api/v1/stats/realtime/visitors", {"site_id": "stats.example"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert (response.status_code, response.json()) == (200, 2)
    assert get(client, "realtime/visitors", key).status_code == 400


def sites_call(client, key, method="get", **data):
    headers = {"Authorization": f"Bearer {key}"}
    if method == "get":
        return client.get("/api/v1/sites", headers=headers)
    return client.post("/api/v1/sites", data, content_type="application/json", headers=headers)


def test_sites_lists_only_the_keys_sites(client, key):
    SiteFactory(domain="someone-else.example")
    assert sites_call(client, key).json() == {
        "sites": [{"domain": "stats.example", "name": "stats.example", "timezone": "UTC"}]
    }


def test_create_site_with_sites_manage(client):
    user = UserFactory()
    _, manager = api_key_create(user=user, name="m", scopes=["sites:manage"])
    response = sites_call(client, manager, "post", domain="WWW.New.Example", timezone="Europe/Paris")
    assert (response.status_code, response.json()) == (
        201,
        {"domain": "new.example", "name": "new.example", "timezone": "Europe/Paris"},
    )
    assert Membership.objects.get(site__domain="new.example").user == user
    assert sites_call(client, manager).json()["sites"][0]["domain"] == "new.example"


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({"domain": "stats.example"}, "domain_taken", "domain"),
        ({"domain": "x.example", "timezone": "Mars/Olympus"}, "invalid_field", "timezone"),
        ({}, "invalid_field", "domain"),
    ],
)
def test_create_site_errors(client, site, data, code, field):
    _, manager = api_key_create(user=UserFactory(), name="m", scopes=["sites:manage"])
    response = sites_call(client, manager, "post", **data)
    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)


def test_reading_keys_cannot_create_sites(client, key):
    response = sites_call(client, key, "post", domain="x.example")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "insufficient_scope")
