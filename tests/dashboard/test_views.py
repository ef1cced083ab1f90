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
