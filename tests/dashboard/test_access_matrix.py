"""Who may use each route of a site's dashboard: anonymous, a stranger, a viewer, an owner.

Table-driven: every route under sites/<domain>/ in the URL conf must have a row here, so a new
page cannot ship without deciding who may see it.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from tests.factories import MembershipFactory, UserFactory
from tests.routes import routes
from tracker.models import Membership, ShareLink

pytestmark = pytest.mark.django_db

SITE = "/sites/stats.example/"
LOGIN = 302  # anonymous users are sent to the login page
READ = {"anonymous": LOGIN, "stranger": 404, "viewer": 200, "owner": 200}
MANAGE_PAGE = {"anonymous": LOGIN, "stranger": 404, "viewer": 403, "owner": 200}
MANAGE_ACTION = {"anonymous": LOGIN, "stranger": 404, "viewer": 403, "owner": 302}

# route pattern -> (method, path under the site, data, expected status per actor)
ROUTES: dict[str, tuple[str, str, dict, dict[str, int]]] = {
    "sites/<str:domain>/": ("get", "", {}, READ),
    "sites/<str:domain>/pages/": ("get", "pages/?path=/blog/x", {}, READ),
    "sites/<str:domain>/data/<slug:kind>": ("get", "data/aggregate?period=30d", {}, READ),
    "sites/<str:domain>/export": ("get", "export?format=csv", {}, READ),
    "sites/<str:domain>/settings/": ("get", "settings/", {}, MANAGE_PAGE),
    "sites/<str:domain>/settings/timezone": ("post", "settings/timezone", {"timezone": "UTC"}, MANAGE_ACTION),
    "sites/<str:domain>/settings/members": (
        "post",
        "settings/members",
        {"username": "owner", "role": "owner"},
        MANAGE_ACTION,
    ),
    "sites/<str:domain>/settings/members/<int:membership_id>/remove": (
        "post",
        "settings/members/{viewer_membership}/remove",
        {},
        MANAGE_ACTION,
    ),
    "sites/<str:domain>/settings/keys": (
        "post",
        "settings/keys",
        {"name": "k", "scopes": ["stats:read"]},
        # The owner's new key is shown on the page the POST renders, once.
        {**MANAGE_ACTION, "owner": 200},
    ),
    "sites/<str:domain>/settings/keys/<str:prefix>/revoke": ("post", "settings/keys/nope/revoke", {}, MANAGE_ACTION),
    "sites/<str:domain>/settings/share": ("post", "settings/share", {}, MANAGE_ACTION),
    "sites/<str:domain>/settings/share/<int:link_id>/revoke": (
        "post",
        "settings/share/{share_link}/revoke",
        {},
        MANAGE_ACTION,
    ),
    "sites/<str:domain>/settings/retention": ("post", "settings/retention", {"retention_days": "400"}, MANAGE_ACTION),
    "sites/<str:domain>/settings/delete-data": (
        "post",
        "settings/delete-data",
        {"confirm": "stats.example"},
        MANAGE_ACTION,
    ),
    "sites/<str:domain>/settings/delete-site": (
        "post",
        "settings/delete-site",
        {"confirm": "stats.example"},
        MANAGE_ACTION,
    ),
}


def test_every_site_route_has_a_row():
    assert routes("sites/<str:domain>/") == set(ROUTES)


@pytest.fixture
def actors(site):
    owner = UserFactory(username="owner")
    MembershipFactory(site=site, user=owner, role="owner")
    MembershipFactory(site=site, user=UserFactory(username="viewer"), role="viewer")
    UserFactory(username="stranger")
    return {name: User.objects.filter(username=name).first() for name in ("anonymous", "stranger", "viewer", "owner")}


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("actor", ["anonymous", "stranger", "viewer", "owner"])
def test_access(client, site, actors, route, actor):
    method, path, data, expected = ROUTES[route]
    link = ShareLink.objects.create(site=site, token="t" * 32)
    viewer_membership = Membership.objects.get(site=site, user__username="viewer")
    path = path.format(viewer_membership=viewer_membership.id, share_link=link.id)
    if actors[actor] is not None:
        client.force_login(actors[actor])
    response = getattr(client, method)(SITE + path, data)
    assert response.status_code == expected[actor], (route, actor)
    if response.status_code == LOGIN and actor == "anonymous":
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("", 200),
        ("pages/?path=/blog/x", 200),
        ("data/aggregate?period=30d", 200),
        ("data/breakdown?property=event:page", 200),
    ],
)
def test_a_share_link_reads_and_nothing_else(client, site, path, status):
    link = ShareLink.objects.create(site=site, token="s" * 32)
    assert client.get(f"/share/{link.token}/{path}").status_code == status
    # The same token opens none of the member routes.
    assert client.get(f"{SITE}{path}").status_code == LOGIN
    assert client.get(f"{SITE}settings/", {"token": link.token}).status_code == LOGIN
