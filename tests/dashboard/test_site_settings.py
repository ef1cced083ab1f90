"""The settings page: only owners manage; members, keys, share links, time zone; CSRF on every form."""

from __future__ import annotations

import pytest
from django.test import Client

from sites.keys import api_key_authenticate
from sites.models import ApiKey, Membership, ShareLink
from tests.factories import MembershipFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

SETTINGS = "/sites/stats.example/settings/"


@pytest.fixture
def owner(site):
    user = UserFactory(username="owner")
    MembershipFactory(site=site, user=user, role="owner")
    MembershipFactory(site=site, user=UserFactory(username="viewer"), role="viewer")
    return user


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def test_only_owners_see_settings(client, owner, site):
    from django.contrib.auth.models import User

    assert client.get(SETTINGS).status_code == 302  # to the login
    client.force_login(User.objects.get(username="viewer"))
    assert client.get(SETTINGS).status_code == 403
    assert client.post(f"{SETTINGS}share").status_code == 403
    client.force_login(UserFactory())
    assert client.get(SETTINGS).status_code == 404
    client.force_login(owner)
    page = client.get(SETTINGS).content.decode()
    assert 'data-domain="stats.example"' in page
    assert "the last event arrived" in page  # the install check


def test_the_dashboard_links_settings_for_owners_only(client, owner):
    from django.contrib.auth.models import User

    client.force_login(owner)
    assert b'href="/sites/stats.example/settings/"' in client.get("/sites/stats.example/").content
    client.force_login(User.objects.get(username="viewer"))
    assert b"/settings/" not in client.get("/sites/stats.example/").content


def test_install_check_waits_for_the_first_event(client):
    empty = SiteFactory(domain="empty.example")
    user = UserFactory()
    MembershipFactory(site=empty, user=user, role="owner")
    client.force_login(user)
    assert "No event has arrived yet" in client.get("/sites/empty.example/settings/").content.decode()


def test_timezone_change_and_a_bad_zone(owner_client, site):
    owner_client.post(f"{SETTINGS}timezone", {"timezone": "Europe/Berlin"})
    site.refresh_from_db()
    assert site.timezone == "Europe/Berlin"
    page = owner_client.post(f"{SETTINGS}timezone", {"timezone": "Mars/Olympus"}, follow=True).content.decode()
    assert "not one of the available choices" in page
    site.refresh_from_db()
    assert site.timezone == "Europe/Berlin"


def test_members_are_added_changed_and_removed_but_one_owner_stays(owner_client, owner, site):
    UserFactory(username="newcomer")
    owner_client.post(f"{SETTINGS}members", {"username": "newcomer", "role": "viewer"})
    assert Membership.objects.get(site=site, user__username="newcomer").role == "viewer"
    page = owner_client.post(f"{SETTINGS}members", {"username": "ghost", "role": "viewer"}, follow=True)
    assert "No active user" in page.content.decode()
    mine = Membership.objects.get(site=site, user=owner)
    page = owner_client.post(f"{SETTINGS}members/{mine.id}/remove", follow=True).content.decode()
    assert "at least one owner" in page
    assert Membership.objects.filter(id=mine.id).exists()
    theirs = Membership.objects.get(site=site, user__username="newcomer")
    owner_client.post(f"{SETTINGS}members/{theirs.id}/remove")
    assert not Membership.objects.filter(id=theirs.id).exists()


def test_a_new_key_is_shown_once_and_can_be_revoked(owner_client, owner, site):
    created = owner_client.post(f"{SETTINGS}keys", {"name": "reports", "scopes": ["stats:read"]})
    assert (created.status_code, created["Location"]) == (302, SETTINGS)  # a reload posts nothing again
    page = owner_client.get(SETTINGS).content.decode()
    key = ApiKey.objects.get(user=owner, name="reports")
    secret = page.split('id="new-secret">')[1].split("<")[0]
    assert api_key_authenticate(secret) == key
    assert list(key.sites.all()) == [site]
    assert secret not in owner_client.get(SETTINGS).content.decode()  # never again
    bad = owner_client.post(f"{SETTINGS}keys", {"name": "x", "scopes": ["root"]}, follow=True).content.decode()
    assert "not one of the available choices" in bad
    owner_client.post(f"{SETTINGS}keys/{key.prefix}/revoke")
    key.refresh_from_db()
    assert key.revoked is not None


def test_share_link_shows_the_dashboard_without_login_until_revoked(owner_client, site):
    owner_client.post(f"{SETTINGS}share")
    link = ShareLink.objects.get(site=site)
    anonymous = Client()
    page = anonymous.get(f"/share/{link.token}/")
    assert page.status_code == 200
    assert f'data-data-url="/share/{link.token}/data/KIND"'.encode() in page.content
    assert b"/settings/" not in page.content
    data = anonymous.get(
        f"/share/{link.token}/data/aggregate", {"period": "custom", "date": "2026-11-20,2026-11-20"}
    ).json()
    assert data == {"results": {"visitors": {"value": 3}}}
    assert anonymous.get(f"/share/{link.token}/pages/", {"path": "/blog/x"}).status_code == 200
    assert anonymous.get(f"/sites/{site.domain}/settings/").status_code == 302
    owner_client.post(f"{SETTINGS}share/{link.id}/revoke")
    assert anonymous.get(f"/share/{link.token}/").status_code == 404
    assert anonymous.get(f"/share/{link.token}/data/aggregate").status_code == 404
    assert anonymous.get("/share/not-a-token/").status_code == 404


def test_every_settings_form_needs_the_csrf_token(owner, site):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    for action in ("timezone", "members", "keys", "share"):
        assert strict.post(f"{SETTINGS}{action}", {}).status_code == 403
    assert not ShareLink.objects.exists()


def test_settings_forms_only_take_posts(owner_client):
    assert owner_client.get(f"{SETTINGS}share").status_code == 405


def test_export_links_and_retention(owner_client, site):
    page = owner_client.get(SETTINGS).content.decode()
    assert "/sites/stats.example/export?format=csv" in page
    owner_client.post(f"{SETTINGS}retention", {"retention_days": "30", "archive_retention_days": ""})
    site.refresh_from_db()
    assert (site.retention_days, site.archive_retention_days) == (30, None)
    bad = owner_client.post(f"{SETTINGS}retention", {"retention_days": "-1"}, follow=True).content.decode()
    assert "greater than or equal to 1" in bad


def test_deleting_data_needs_the_domain_typed_and_keeps_the_site(owner_client, site):
    from sites.models import Site
    from tracker.models import Event, Session

    page = owner_client.post(f"{SETTINGS}delete-data", {"confirm": "wrong.example"}, follow=True).content.decode()
    assert "Type stats.example to confirm" in page
    assert Event.objects.filter(site=site).exists()
    owner_client.post(f"{SETTINGS}delete-data", {"confirm": "stats.example"})
    assert not Event.objects.filter(site=site).exists()
    assert not Session.objects.filter(site=site).exists()
    assert Site.objects.filter(id=site.id).exists()
    assert Membership.objects.filter(site=site).count() == 2


def test_deleting_the_site_needs_the_domain_and_an_owner(client, owner, site):
    from django.contrib.auth.models import User

    from sites.models import Site

    client.force_login(User.objects.get(username="viewer"))
    assert client.post(f"{SETTINGS}delete-site", {"confirm": "stats.example"}).status_code == 403
    client.force_login(owner)
    response = client.post(f"{SETTINGS}delete-site", {"confirm": "stats.example"})
    assert response["Location"] == "/"
    assert not Site.objects.filter(id=site.id).exists()


def test_keys_that_reach_the_site_are_listed_with_how_far_they_reach(owner_client, owner, site):
    from sites.keys import api_key_create
    from tests.factories import SiteFactory

    api_key_create(user=owner, name="everywhere", scopes=["stats:read"])
    api_key_create(user=owner, name="narrow", scopes=["stats:read"], sites=[site])
    api_key_create(user=owner, name="elsewhere", scopes=["stats:read"], sites=[SiteFactory()])
    page = owner_client.get(SETTINGS).content.decode()
    keys = page.split('id="keys"')[1].split("</section>")[0]
    assert "everywhere" in keys
    assert "all your sites" in keys
    assert "narrow" in keys
    assert "this site" in keys
    assert "elsewhere" not in keys


def test_the_page_tells_stored_from_dropped_events(owner_client, site):
    from django.utils import timezone

    from tracker.models import DropCount

    DropCount.objects.create(
        site=site, hour=timezone.now().replace(minute=0, second=0, microsecond=0), reason="bot", events=3
    )
    page = owner_client.get(SETTINGS).content.decode()
    arrivals = page.split('id="arrivals"')[1].split("</p>")[0]
    assert "<b>3</b>" in arrivals
    assert "from bots" in arrivals
