"""Who may call each Stats API route: no key, a session or a share token instead of one, and keys
of each scope, narrowed to another site, or of a viewer.

Table-driven: every route of dashboard/api/urls.py must have a row here. A site outside a key's
reach is answered 404 like a missing one, so names do not leak; every refusal is a JSON error in
the project's shape.
"""

from __future__ import annotations

import pytest

from tests.principals import PRINCIPALS, Outcome, Row, assert_project_error, by_key, parametrize_rows
from tests.routes import routes

pytestmark = pytest.mark.django_db

NO_KEY = Outcome(401, code="missing_api_key")
BAD_KEY = Outcome(401, code="invalid_api_key")
SCOPE = Outcome(403, code="insufficient_scope")
NO_SITE = Outcome(404, code="site_not_found")
NO_KEY_FOUND = Outcome(404, code="key_not_found")
OK = Outcome(200)
CREATED = Outcome(201)
GONE = Outcome(204)
NOT_OWNER = Outcome(403, code="not_owner")
NO_FUNNEL = Outcome(404, code="funnel_not_found")


def keyed(*, stats_read: Outcome, sites_manage: Outcome, elsewhere: Outcome, viewer_key: Outcome) -> dict:
    """No events:write-only key may do anything here: that scope is for ingest."""
    return by_key(
        no_key=NO_KEY,
        bad_key=BAD_KEY,
        stats_read=stats_read,
        events_write=SCOPE,
        sites_manage=sites_manage,
        elsewhere=elsewhere,
        viewer_key=viewer_key,
    )


READ_SITE = keyed(stats_read=OK, sites_manage=SCOPE, elsewhere=NO_SITE, viewer_key=OK)
MANAGE = keyed(stats_read=SCOPE, sites_manage=OK, elsewhere=OK, viewer_key=OK)
SITE_QUERY = "site_id=stats.example&period=custom&date=2026-11-20,2026-11-20"
JSON = "application/json"

# (route pattern, the request made and its outcome per principal)
ROWS: list[tuple[str, Row]] = [
    ("api/v1/stats/aggregate", Row("get", f"stats/aggregate?{SITE_QUERY}", READ_SITE)),
    ("api/v1/stats/timeseries", Row("get", f"stats/timeseries?{SITE_QUERY}", READ_SITE)),
    ("api/v1/stats/breakdown", Row("get", f"stats/breakdown?{SITE_QUERY}&property=event:page", READ_SITE)),
    ("api/v1/stats/realtime/visitors", Row("get", "stats/realtime/visitors?site_id=stats.example", READ_SITE)),
    ("api/v1/export", Row("get", "export?site=stats.example&format=ndjson", READ_SITE)),
    # Listing sites takes stats:read or sites:manage; each key sees only its own sites.
    ("api/v1/sites", Row("get", "sites", keyed(stats_read=OK, sites_manage=OK, elsewhere=OK, viewer_key=OK))),
    # A key narrowed to some sites adds none: it acts for those sites only, not for its user's account.
    (
        "api/v1/sites",
        Row(
            "post",
            "sites",
            keyed(
                stats_read=SCOPE,
                sites_manage=CREATED,
                elsewhere=Outcome(403, code="restricted_key"),
                viewer_key=CREATED,
            ),
            {"domain": "new.example"},
            JSON,
        ),
    ),
    ("api/v1/keys", Row("get", "keys", MANAGE)),
    (
        "api/v1/keys",
        Row(
            "post",
            "keys",
            keyed(stats_read=SCOPE, sites_manage=CREATED, elsewhere=CREATED, viewer_key=CREATED),
            {"name": "new", "scopes": ["sites:manage"]},
            JSON,
        ),
    ),
    (
        "api/v1/^keys/(?P<prefix>[\\s\\S]+)\\Z",
        Row(
            "delete",
            "keys/nope",
            keyed(stats_read=SCOPE, sites_manage=NO_KEY_FOUND, elsewhere=NO_KEY_FOUND, viewer_key=NO_KEY_FOUND),
        ),
    ),
    # The owner's sites:manage key: it may revoke itself; a narrowed key cannot reach an unrestricted
    # one, and another user's key is as good as missing.
    (
        "api/v1/^keys/(?P<prefix>[\\s\\S]+)\\Z",
        Row(
            "delete",
            "keys/{prefix}",
            keyed(stats_read=SCOPE, sites_manage=GONE, elsewhere=NO_KEY_FOUND, viewer_key=NO_KEY_FOUND),
        ),
    ),
    # A funnel the site lacks: the key got as far as looking for it.
    (
        "api/v1/stats/funnel",
        Row(
            "get",
            f"stats/funnel?{SITE_QUERY}&funnel=Nope",
            keyed(stats_read=NO_FUNNEL, sites_manage=SCOPE, elsewhere=NO_SITE, viewer_key=NO_FUNNEL),
        ),
    ),
    # A site's goals and funnels: listed with sites:manage, changed by an owner's key.
    (
        "api/v1/^sites/(?P<domain>[^/]+)/goals\\Z",
        Row(
            "get",
            "sites/stats.example/goals",
            keyed(stats_read=SCOPE, sites_manage=OK, elsewhere=NO_SITE, viewer_key=OK),
        ),
    ),
    (
        "api/v1/^sites/(?P<domain>[^/]+)/goals\\Z",
        Row(
            "post",
            "sites/stats.example/goals",
            keyed(stats_read=SCOPE, sites_manage=CREATED, elsewhere=NO_SITE, viewer_key=NOT_OWNER),
            {"goal_type": "event", "event_name": "Signup"},
            JSON,
        ),
    ),
    (
        "api/v1/^sites/(?P<domain>[^/]+)/goals/(?P<goal_id>[\\s\\S]+)\\Z",
        Row(
            "delete",
            "sites/stats.example/goals/1",
            keyed(
                stats_read=SCOPE,
                sites_manage=Outcome(404, code="goal_not_found"),
                elsewhere=NO_SITE,
                viewer_key=NOT_OWNER,
            ),
        ),
    ),
    (
        "api/v1/^sites/(?P<domain>[^/]+)/funnels\\Z",
        Row(
            "get",
            "sites/stats.example/funnels",
            keyed(stats_read=SCOPE, sites_manage=OK, elsewhere=NO_SITE, viewer_key=OK),
        ),
    ),
    # The site has no goals here: an owner's key gets as far as the steps.
    (
        "api/v1/^sites/(?P<domain>[^/]+)/funnels\\Z",
        Row(
            "post",
            "sites/stats.example/funnels",
            keyed(
                stats_read=SCOPE,
                sites_manage=Outcome(400, code="invalid_field"),
                elsewhere=NO_SITE,
                viewer_key=NOT_OWNER,
            ),
            {"name": "Reads", "steps": ["Visit /a", "Visit /b"]},
            JSON,
        ),
    ),
    (
        "api/v1/^sites/(?P<domain>[^/]+)/funnels/(?P<funnel_id>[\\s\\S]+)\\Z",
        Row(
            "delete",
            "sites/stats.example/funnels/1",
            keyed(stats_read=SCOPE, sites_manage=NO_FUNNEL, elsewhere=NO_SITE, viewer_key=NOT_OWNER),
        ),
    ),
    (
        "api/v1/^sites/(?P<domain>[\\s\\S]+)\\Z",
        Row(
            "delete",
            "sites/stats.example?confirm=stats.example",
            keyed(stats_read=SCOPE, sites_manage=GONE, elsewhere=NO_SITE, viewer_key=NOT_OWNER),
        ),
    ),
]
ROUTES = {route for route, _ in ROWS}


def test_every_api_route_has_a_row():
    assert routes(conf="dashboard.api.urls") == ROUTES


@parametrize_rows(ROWS)
@pytest.mark.parametrize("principal", PRINCIPALS)
def test_access(principals, row, principal):
    response = row.expect(principals, principal, prefix="/api/v1/")
    if response.status_code >= 400:
        assert_project_error(response)
