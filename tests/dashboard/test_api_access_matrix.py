"""Who may call each Stats API route: no key, and keys of each scope, for their own site or another.

Table-driven: every route under api/v1/ in the URL conf must have a row here. A site outside a
key's reach is answered 404 like a missing one, so names do not leak.
"""

from __future__ import annotations

import pytest

from tests.routes import routes

pytestmark = pytest.mark.django_db

ACTORS = ["no key", "stats:read", "events:write", "sites:manage", "stats:read elsewhere"]
READ_SITE = {"no key": 401, "stats:read": 200, "events:write": 403, "sites:manage": 403, "stats:read elsewhere": 404}
MANAGE = {"no key": 401, "stats:read": 403, "events:write": 403, "sites:manage": 200, "stats:read elsewhere": 403}
SITE_QUERY = "site_id=stats.example&period=custom&date=2026-11-20,2026-11-20"

# route pattern -> (method, path, body, expected status per actor)
ROUTES: dict[str, tuple[str, str, dict | None, dict[str, int]]] = {
    "api/v1/stats/aggregate": ("get", f"stats/aggregate?{SITE_QUERY}", None, READ_SITE),
    "api/v1/stats/timeseries": ("get", f"stats/timeseries?{SITE_QUERY}", None, READ_SITE),
    "api/v1/stats/breakdown": ("get", f"stats/breakdown?{SITE_QUERY}&property=event:page", None, READ_SITE),
    "api/v1/stats/realtime/visitors": ("get", "stats/realtime/visitors?site_id=stats.example", None, READ_SITE),
    "api/v1/export": ("get", "export?site=stats.example&format=ndjson", None, READ_SITE),
    # Listing sites takes stats:read or sites:manage; each key sees only its own sites.
    "api/v1/sites": ("get", "sites", None, {**READ_SITE, "sites:manage": 200, "stats:read elsewhere": 200}),
    "api/v1/keys": ("get", "keys", None, MANAGE),
    "api/v1/^keys/(?P<prefix>[\\s\\S]+)\\Z": ("delete", "keys/nope", None, {**MANAGE, "sites:manage": 404}),
    "api/v1/^sites/(?P<domain>[\\s\\S]+)\\Z": (
        "delete",
        "sites/stats.example?confirm=stats.example",
        None,
        {**MANAGE, "sites:manage": 204},
    ),
}


def test_every_api_route_has_a_row():
    assert routes("api/v1/") == set(ROUTES)


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("actor", ACTORS)
def test_access(client, secrets, route, actor):
    method, path, body, expected = ROUTES[route]
    headers = {} if actor == "no key" else {"HTTP_AUTHORIZATION": f"Bearer {secrets[actor]}"}
    response = getattr(client, method)(f"/api/v1/{path}", body, **headers)
    assert response.status_code == expected[actor], (route, actor, response.content[:200])
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "field"}
