"""Invitations from the settings page to the link's page: sent by mail, accepted once, revoked, and
ownership handed over."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone

from sites.models import Invitation, Membership
from tests.factories import MembershipFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

SETTINGS = "/sites/blog.example/settings/"
PASSWORD = "a long and unusual passphrase 7"


@pytest.fixture
def owner_client(client):
    site = SiteFactory(domain="blog.example")
    owner = UserFactory(username="owner")
    MembershipFactory(site=site, user=owner, role="owner")
    client.force_login(owner)
    return client


def invite(client, email="new@example.com", role="viewer") -> str:
    """Invite by the settings page; return the path of the link mailed."""
    mail.outbox.clear()
    response = client.post(f"{SETTINGS}invitations", {"email": email, "role": role})
    assert response["Location"] == f"{SETTINGS}#members"
    (message,) = mail.outbox
    assert message.to == [email]
    link = re.search(r"http://testserver(/invitations/[\w-]+/)", message.body)
    assert link is not None
    return link.group(1)


def test_owners_see_pending_invitations_and_revoke_them(owner_client):
    link = invite(owner_client)
    page = owner_client.get(SETTINGS).content.decode()
    assert "new@example.com" in page.split('id="invitations"')[1]
    invitation = Invitation.objects.get()
    owner_client.post(f"{SETTINGS}invitations/{invitation.id}/revoke")
    assert 'id="invitations"' not in owner_client.get(SETTINGS).content.decode()
    response = Client().get(link)
    assert response.status_code == 404
    assert b"not valid" in response.content


def test_a_refused_invitation_is_explained(owner_client):
    owner_client.post(f"{SETTINGS}invitations", {"email": "owner-of-nothing", "role": "viewer"})
    assert "email: Enter a valid email address." in owner_client.get(SETTINGS).content.decode()
    assert not mail.outbox


def test_the_invitee_makes_an_account_joins_and_the_link_is_spent(owner_client):
    link = invite(owner_client, role="viewer")
    invitee = Client()
    page = invitee.get(link).content.decode()
    assert "owner invites" in page
    assert "new@example.com" in page
    response = invitee.post(
        link, {"action": "create", "username": "newcomer", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response["Location"] == "/sites/blog.example/"
    assert invitee.get("/sites/blog.example/").status_code == 200  # logged in
    user = User.objects.get(username="newcomer")
    assert (user.email, Membership.objects.get(user=user).role) == ("new@example.com", "viewer")
    again = Client().get(link)
    assert again.status_code == 404
    assert b"used already" in again.content


def test_a_new_accounts_form_errors_show_beside_their_fields(owner_client):
    link = invite(owner_client)
    response = Client().post(link, {"action": "create", "username": "owner", "password1": "x", "password2": "y"})
    assert response.status_code == 400
    assert response.context["form"].errors["password2"] == ["The two passwords differ."]
    response = Client().post(
        link, {"action": "create", "username": "owner", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["username"] == ["This username is taken."]


def test_an_existing_account_logs_in_then_accepts(owner_client):
    link = invite(owner_client, email="known@example.com", role="owner")
    member = Client()
    page = member.get(link).content.decode()
    assert f'href="/accounts/login/?next={link}">Log in to accept' in page
    member.force_login(UserFactory(username="known", email="Known@example.com"))
    assert "Accept as known" in member.get(link).content.decode()
    assert member.post(link, {"action": "accept"})["Location"] == "/sites/blog.example/"
    assert Membership.objects.get(user__username="known").role == "owner"


def test_another_account_is_told_to_log_in_as_the_invitee(owner_client):
    link = invite(owner_client)
    other = Client()
    other.force_login(UserFactory(username="other", email="other@example.com"))
    response = other.post(link, {"action": "accept"})
    assert response.status_code == 403
    assert "sent to new@example.com" in response.content.decode()
    assert not Membership.objects.filter(user__username="other").exists()


def test_an_expired_link_says_so(owner_client):
    link = invite(owner_client)
    Invitation.objects.update(expires=timezone.now() - timedelta(minutes=1))
    response = Client().get(link)
    assert response.status_code == 404
    assert b"expired" in response.content


def test_while_registration_is_closed_the_link_only_joins_existing_accounts(owner_client, settings):
    settings.REGISTRATION = "closed"
    link = invite(owner_client)
    assert 'name="password1"' not in Client().get(link).content.decode()
    response = Client().post(
        link, {"action": "create", "username": "newcomer", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="newcomer").exists()


def test_an_owner_hands_the_site_over_and_becomes_a_viewer(owner_client):
    other = MembershipFactory(site=Membership.objects.get().site, user=UserFactory(username="heir"), role="viewer")
    assert "heir" in owner_client.get(SETTINGS).content.decode().split('id="transfer"')[1]
    response = owner_client.post(f"{SETTINGS}transfer", {"membership": other.id})
    assert response["Location"] == "/sites/blog.example/"
    roles = dict(Membership.objects.values_list("user__username", "role"))
    assert roles == {"owner": "viewer", "heir": "owner"}
    assert owner_client.get(SETTINGS).status_code == 403


def test_open_sign_up_makes_an_account_that_adds_its_first_site(client, settings):
    settings.REGISTRATION = "open"
    assert 'href="/accounts/signup/"' in client.get("/accounts/login/").content.decode()
    data = {"username": "newcomer", "email": "New@Example.com", "password1": PASSWORD, "password2": PASSWORD}
    response = client.post("/accounts/signup/", data)
    assert response["Location"] == "/new-site/"
    assert client.get("/new-site/").status_code == 200  # logged in
    assert User.objects.get(username="newcomer").email == "new@example.com"
    again = client.post("/accounts/signup/", {**data, "username": "second"})
    assert again.status_code == 400
    assert "exists already" in again.context["form"].errors["email"][0]


@pytest.mark.parametrize("registration", ["invite", "closed"])
def test_sign_up_is_closed_unless_open(client, settings, registration):
    settings.REGISTRATION = registration
    assert 'href="/accounts/signup/"' not in client.get("/accounts/login/").content.decode()
    assert client.get("/accounts/signup/").status_code == 404
    assert client.post("/accounts/signup/", {"username": "x"}).status_code == 404
