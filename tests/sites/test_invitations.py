"""Invitations: made with a hashed token, used once until they expire, revocable; accepting adds the role."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from sites.invitations import (
    InvitationError,
    invitation_accept,
    invitation_accept_new_user,
    invitation_create,
    invitation_for_token,
    invitation_revoke,
    pending,
)
from sites.models import Invitation, Membership
from tests.factories import MembershipFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual passphrase 7"


@pytest.fixture
def site():
    site = SiteFactory(domain="blog.example")
    MembershipFactory(site=site, user=UserFactory(username="owner"), role="owner")
    return site


def invite(site, email="New@Example.com", role="viewer"):
    return invitation_create(site=site, invited_by=User.objects.get(username="owner"), email=email, role=role)


def code(call) -> str:
    with pytest.raises(InvitationError) as raised:
        call()
    return raised.value.code


def test_an_invitation_keeps_only_its_tokens_hash_and_expires_in_a_week(site, settings):
    settings.INVITATION_MAX_AGE_DAYS = 7
    invitation, token = invite(site)
    assert invitation.email == "new@example.com"
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Invitation.objects.values().get())
    assert timedelta(days=6, hours=23) < invitation.expires - timezone.now() <= timedelta(days=7)
    assert invitation_for_token(token, timezone.now()) == invitation


def test_a_new_invitation_of_the_same_address_replaces_the_pending_one(site):
    _, first_token = invite(site)
    second, _ = invite(site, role="owner")
    assert pending(site, timezone.now()) == [second]
    assert code(lambda: invitation_for_token(first_token, timezone.now())) == "invitation_invalid"


@pytest.mark.parametrize(
    ("email", "role", "expected"),
    [("not an address", "viewer", "invalid_field"), ("a@example.com", "admin", "invalid_field")],
)
def test_bad_invitations_are_refused(site, email, role, expected):
    assert code(lambda: invite(site, email, role)) == expected


def test_members_are_not_invited_again(site):
    MembershipFactory(site=site, user=UserFactory(username="member", email="Member@example.com"), role="viewer")
    assert code(lambda: invite(site, "member@EXAMPLE.com")) == "already_member"


def test_accepting_adds_the_signed_in_account_of_that_address_once(site):
    invitation, token = invite(site)
    user = UserFactory(username="new", email="new@example.com")
    membership = invitation_accept(token=token, user=user)
    assert (membership.site, membership.user, membership.role) == (site, user, "viewer")
    invitation.refresh_from_db()
    assert invitation.used is not None
    assert invitation.accepted_by == user
    assert code(lambda: invitation_accept(token=token, user=user)) == "invitation_invalid"
    assert pending(site, timezone.now()) == []


def test_another_account_cannot_use_the_link(site):
    _, token = invite(site)
    other = UserFactory(username="other", email="other@example.com")
    assert code(lambda: invitation_accept(token=token, user=other)) == "wrong_account"
    assert not Membership.objects.filter(user_id=other.pk).exists()
    assert invitation_for_token(token, timezone.now())  # still usable by its addressee


def test_an_invitation_raises_a_role_and_never_lowers_it(site):
    user = UserFactory(username="new", email="new@example.com")
    MembershipFactory(site=SiteFactory(domain="other.example"), user=user)
    _, token = invite(site, role="owner")
    assert invitation_accept(token=token, user=user).role == "owner"


def test_expired_and_revoked_links_do_not_work(site):
    expired, expired_token = invite(site, "a@example.com")
    Invitation.objects.filter(id=expired.id).update(expires=timezone.now() - timedelta(seconds=1))
    revoked, revoked_token = invite(site, "b@example.com")
    assert invitation_revoke(site=site, invitation_id=revoked.id)
    assert not invitation_revoke(site=site, invitation_id=revoked.id)
    assert not invitation_revoke(site=SiteFactory(), invitation_id=expired.id)
    for token in (expired_token, revoked_token, "no-such-token"):
        assert code(lambda token=token: invitation_for_token(token, timezone.now())) == "invitation_invalid"


def test_a_new_account_is_made_for_the_invited_address(site):
    _, token = invite(site)
    user = invitation_accept_new_user(token=token, username="newcomer", password=PASSWORD)
    assert (user.username, user.email) == ("newcomer", "new@example.com")
    assert user.check_password(PASSWORD)
    assert Membership.objects.get(user=user).site == site


@pytest.mark.parametrize(
    ("username", "password", "existing", "expected"),
    [
        ("owner", PASSWORD, None, "username_taken"),
        ("newcomer", "short", None, "invalid_field"),
        ("newcomer", PASSWORD, "new@example.com", "account_exists"),
    ],
)
def test_a_new_account_is_refused_without_using_the_link(site, username, password, existing, expected):
    if existing:
        UserFactory(username="existing", email=existing)
    _, token = invite(site)
    assert code(lambda: invitation_accept_new_user(token=token, username=username, password=password)) == expected
    assert invitation_for_token(token, timezone.now())
    assert not User.objects.filter(username="newcomer").exists()


def test_no_account_is_made_while_registration_is_closed(site, settings):
    settings.REGISTRATION = "closed"
    _, token = invite(site)
    assert code(lambda: invitation_accept_new_user(token=token, username="x", password=PASSWORD)) == (
        "registration_closed"
    )
