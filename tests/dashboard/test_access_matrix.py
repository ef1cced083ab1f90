"""Who may use each dashboard route: the site list, a site's pages and settings, share links, the demo page.

Table-driven over every principal of tests/principals.py: every route of dashboard/urls.py must
have a row here, so a new page cannot ship without deciding who may see it. Members log in by
session; API keys and share tokens open none of these pages, only a share link opens share/.
"""

from __future__ import annotations

import pytest

from tests.principals import (
    FORBIDDEN,
    LOGIN,
    NOT_FOUND,
    OK,
    PRINCIPALS,
    SHARE_LINK,
    Outcome,
    Row,
    by_session,
    everyone,
)
from tests.routes import routes

pytestmark = pytest.mark.django_db

SETTINGS_PAGE = Outcome(302, location="/sites/stats.example/settings/")
READ = by_session(anonymous=LOGIN, stranger=NOT_FOUND, viewer=OK, owner=OK)
MANAGE_PAGE = by_session(anonymous=LOGIN, stranger=NOT_FOUND, viewer=FORBIDDEN, owner=OK)
MANAGE_ACTION = by_session(anonymous=LOGIN, stranger=NOT_FOUND, viewer=FORBIDDEN, owner=SETTINGS_PAGE)
# Goal forms go back to the page's goals section, where a refused goal shows its error.
MANAGE_GOALS = by_session(
    anonymous=LOGIN,
    stranger=NOT_FOUND,
    viewer=FORBIDDEN,
    owner=Outcome(302, location="/sites/stats.example/settings/#goals"),
)
MANAGE_MEMBERS = by_session(
    anonymous=LOGIN,
    stranger=NOT_FOUND,
    viewer=FORBIDDEN,
    owner=Outcome(302, location="/sites/stats.example/settings/#members"),
)
# Funnel forms: a refused funnel comes back at once with its error (the site has no goals here: 400); a
# deletion goes back to the page's funnels section.
MANAGE_FUNNELS = by_session(anonymous=LOGIN, stranger=NOT_FOUND, viewer=FORBIDDEN, owner=Outcome(400))
DELETE_FUNNEL = by_session(
    anonymous=LOGIN,
    stranger=NOT_FOUND,
    viewer=FORBIDDEN,
    owner=Outcome(302, location="/sites/stats.example/settings/#funnels"),
)
# Imports: an upload without a file comes back at once with its error (400); a deletion goes back to the
# page's imports section.
UPLOAD_IMPORT = by_session(anonymous=LOGIN, stranger=NOT_FOUND, viewer=FORBIDDEN, owner=Outcome(400))
DELETE_IMPORT = by_session(
    anonymous=LOGIN,
    stranger=NOT_FOUND,
    viewer=FORBIDDEN,
    owner=Outcome(302, location="/sites/stats.example/settings/#imports"),
)
# Each member manages their own mail; owners' extra powers are checked by the reports tests.
EMAIL_ACTION = by_session(
    anonymous=LOGIN,
    stranger=NOT_FOUND,
    viewer=Outcome(302, location="/sites/stats.example/email/"),
    owner=Outcome(302, location="/sites/stats.example/email/"),
)
# Only the holder of the link gets in; anyone else, signed in or not, meets a link that does not exist.
SHARED = everyone(NOT_FOUND) | {SHARE_LINK: OK}
DEMO = by_session(anonymous=LOGIN, stranger=NOT_FOUND, viewer=NOT_FOUND, owner=NOT_FOUND)


def site(method: str, path: str, expected: dict[str, Outcome], data: dict | None = None) -> Row:
    return Row(method, f"sites/stats.example/{path}", expected, data)


# route pattern -> the request made and its outcome per principal
ROUTES: dict[str, Row] = {
    "": Row("get", "", by_session(anonymous=LOGIN, stranger=OK, viewer=OK, owner=OK)),
    # Any signed-in user may add a site of their own.
    "new-site/": Row("get", "new-site/", by_session(anonymous=LOGIN, stranger=OK, viewer=OK, owner=OK)),
    "sites/<str:domain>/setup/": site("get", "setup/", MANAGE_PAGE),
    "sites/<str:domain>/setup/status": site("get", "setup/status", MANAGE_PAGE),
    "sites/<str:domain>/": site("get", "", READ),
    "sites/<str:domain>/pages/": site("get", "pages/?path=/blog/x", READ),
    "sites/<str:domain>/data/<slug:kind>": site("get", "data/aggregate?period=30d", READ),
    "sites/<str:domain>/export": site("get", "export?format=csv", READ),
    "sites/<str:domain>/settings/": site("get", "settings/", MANAGE_PAGE),
    "sites/<str:domain>/settings/timezone": site("post", "settings/timezone", MANAGE_ACTION, {"timezone": "UTC"}),
    "sites/<str:domain>/settings/exclusions": site(
        "post",
        "settings/exclusions",
        by_session(
            anonymous=LOGIN,
            stranger=NOT_FOUND,
            viewer=FORBIDDEN,
            owner=Outcome(302, location="/sites/stats.example/settings/#exclusions"),
        ),
        {"excluded_paths": "/admin/**", "allowed_hostnames": "", "excluded_ip_ranges": "10.0.0.0/8"},
    ),
    "sites/<str:domain>/settings/goals": site(
        "post", "settings/goals", MANAGE_GOALS, {"goal_type": "event", "event_name": "Signup"}
    ),
    "sites/<str:domain>/settings/goals/<int:goal_id>/delete": site("post", "settings/goals/1/delete", MANAGE_GOALS),
    "sites/<str:domain>/settings/funnels": site(
        "post", "settings/funnels", MANAGE_FUNNELS, {"name": "Sign-ups", "steps": ["1", "2"]}
    ),
    "sites/<str:domain>/settings/funnels/<int:funnel_id>/delete": site(
        "post", "settings/funnels/1/delete", DELETE_FUNNEL
    ),
    "sites/<str:domain>/settings/members": site(
        "post", "settings/members", MANAGE_ACTION, {"username": "owner", "role": "owner"}
    ),
    "sites/<str:domain>/settings/members/<int:membership_id>/remove": site(
        "post", "settings/members/{membership}/remove", MANAGE_ACTION
    ),
    "sites/<str:domain>/settings/invitations": site(
        "post", "settings/invitations", MANAGE_MEMBERS, {"email": "new@example.com", "role": "viewer"}
    ),
    "sites/<str:domain>/settings/invitations/<int:invitation_id>/revoke": site(
        "post", "settings/invitations/1/revoke", MANAGE_MEMBERS
    ),
    # Past the access check a member the site does not have is refused on the settings page
    # (tests/dashboard/test_site_settings.py hands a site over).
    "sites/<str:domain>/settings/transfer": site("post", "settings/transfer", MANAGE_MEMBERS, {"membership": "999999"}),
    # The new key is shown once, on the settings page the POST redirects to.
    "sites/<str:domain>/settings/keys": site(
        "post", "settings/keys", MANAGE_ACTION, {"name": "k", "scopes": ["stats:read"]}
    ),
    "sites/<str:domain>/settings/keys/<str:prefix>/revoke": site("post", "settings/keys/nope/revoke", MANAGE_ACTION),
    "sites/<str:domain>/settings/share": site("post", "settings/share", MANAGE_ACTION),
    "sites/<str:domain>/settings/share/<int:link_id>/revoke": site(
        "post", "settings/share/{link}/revoke", MANAGE_ACTION
    ),
    "sites/<str:domain>/settings/imports": site("post", "settings/imports", UPLOAD_IMPORT, {"format": "umami"}),
    "sites/<str:domain>/settings/imports/<int:import_id>/delete": site(
        "post", "settings/imports/1/delete", DELETE_IMPORT
    ),
    "sites/<str:domain>/settings/retention": site(
        "post", "settings/retention", MANAGE_ACTION, {"retention_days": "400"}
    ),
    "sites/<str:domain>/settings/delete-data": site(
        "post", "settings/delete-data", MANAGE_ACTION, {"confirm": "stats.example"}
    ),
    "sites/<str:domain>/settings/delete-site": site(
        "post",
        "settings/delete-site",
        by_session(anonymous=LOGIN, stranger=NOT_FOUND, viewer=FORBIDDEN, owner=Outcome(302, location="/")),
        {"confirm": "stats.example"},
    ),
    "sites/<str:domain>/email/": site("get", "email/", READ),
    "sites/<str:domain>/email/subscriptions": site("post", "email/subscriptions", EMAIL_ACTION, {"week": "on"}),
    "sites/<str:domain>/email/subscriptions/<int:subscription_id>/delete": site(
        "post", "email/subscriptions/1/delete", EMAIL_ACTION
    ),
    "sites/<str:domain>/email/recipients": site(
        "post", "email/recipients", EMAIL_ACTION, {"email": "team@example.com", "period": "week"}
    ),
    "sites/<str:domain>/email/alerts": site(
        "post", "email/alerts", EMAIL_ACTION, {"kind": "spike", "threshold": "100", "cooldown_hours": "24"}
    ),
    "sites/<str:domain>/email/alerts/<int:alert_id>/delete": site("post", "email/alerts/1/delete", EMAIL_ACTION),
    # Without login, for the holder of a mail's signed link; a token not signed here is refused for all.
    "unsubscribe/<str:token>": Row("get", "unsubscribe/{token}", everyone(Outcome(400))),
    # An invitation's link is its own secret: a token no invitation has is 404 for everyone
    # (tests/dashboard/test_invitations.py follows real links).
    "invitations/<str:token>/": Row("get", "invitations/{token}/", everyone(NOT_FOUND)),
    "share/<str:token>/": Row("get", "share/{token}/", SHARED),
    "share/<str:token>/pages/": Row("get", "share/{token}/pages/?path=/blog/x", SHARED),
    "share/<str:token>/data/<slug:kind>": Row("get", "share/{token}/data/breakdown?property=event:page", SHARED),
    # The demo page lists the demo site's latest events: for its members (there is none here).
    "demo/": Row("get", "demo/", DEMO),
    "demo/<path:rest>": Row("get", "demo/blog/x", DEMO),
}


def test_every_dashboard_route_has_a_row():
    assert routes(conf="dashboard.urls") == set(ROUTES)


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("principal", PRINCIPALS)
def test_access(principals, route, principal):
    ROUTES[route].expect(principals, principal)


@pytest.mark.parametrize("path", ["", "pages/", "data/aggregate", "settings/", "export"])
def test_a_share_token_in_the_query_opens_no_member_route(client, principals, path):
    response = client.get(f"/sites/stats.example/{path}", {"token": principals.share_link.token, "path": "/"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
