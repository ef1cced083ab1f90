"""The dashboard shell: login required, and each user sees only their own sites."""

from __future__ import annotations

import pytest

from tests.factories import MembershipFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_site_list_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_site_list_shows_only_the_users_sites(client):
    mine = MembershipFactory().site
    theirs = SiteFactory(domain="theirs.example")
    client.force_login(mine.memberships.get().user)
    page = client.get("/").content.decode()
    assert mine.domain in page
    assert theirs.domain not in page


def test_login_page_renders(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_empty_state_says_what_to_do(client):
    client.force_login(UserFactory())
    assert b"No sites yet" in client.get("/").content


def test_demo_page_carries_the_snippet_and_lists_events(client, settings):
    from tests.factories import EventFactory
    from tracker.sites import DEMO_DOMAIN

    settings.DEBUG = True
    site = SiteFactory(domain=DEMO_DOMAIN)
    EventFactory(site=site, name="Signup", path="/demo/page-2", props={"plan": "<b>pro</b>"})
    page = client.get("/demo/page-2").content.decode()
    assert f'data-domain="{DEMO_DOMAIN}"' in page
    assert 'src="/js/script.js"' in page
    assert "/demo/page-2" in page
    assert "&lt;b&gt;pro&lt;/b&gt;" in page  # visitor data is escaped


def test_demo_page_exists_only_in_debug(client, settings):
    from tracker.sites import DEMO_DOMAIN

    settings.DEBUG = False
    SiteFactory(domain=DEMO_DOMAIN)
    assert client.get("/demo/").status_code == 404
