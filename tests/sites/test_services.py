"""Sites created with their owner; membership changes keep an owner; share links resolve until revoked."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from sites import services as access
from sites.models import Membership
from sites.selectors import site_for_share_token
from sites.services import site_create
from tests.factories import MembershipFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_last_owner_cannot_step_down_but_can_with_another_owner():
    owner = MembershipFactory(role="owner")
    site = owner.site
    with pytest.raises(access.AccessError, match="at least one owner"):
        access.membership_set(site=site, username=owner.user.username, role="viewer")
    access.membership_set(site=site, username=UserFactory(username="second").username, role="owner")
    assert access.membership_set(site=site, username=owner.user.username, role="viewer").role == "viewer"


def test_unknown_roles_and_users_are_refused():
    site = SiteFactory()
    with pytest.raises(access.AccessError, match="Unknown role"):
        access.membership_set(site=site, username=UserFactory().username, role="admin")
    inactive = UserFactory(is_active=False)
    with pytest.raises(access.AccessError, match="No active user"):
        access.membership_set(site=site, username=inactive.username, role="viewer")
    with pytest.raises(access.AccessError, match="No such member"):
        access.membership_remove(site=site, membership_id=12345)


def test_share_links_resolve_until_revoked_and_only_for_their_site():
    site, other = SiteFactory(), SiteFactory()
    link = access.share_link_create(site)
    assert len(link.token) >= 32
    assert site_for_share_token(link.token) == site
    access.share_link_revoke(site=other, link_id=link.id)  # not its site: nothing happens
    assert site_for_share_token(link.token) == site
    access.share_link_revoke(site=site, link_id=link.id)
    with pytest.raises(Http404):
        site_for_share_token(link.token)


def test_site_create_makes_the_creator_owner():
    user = UserFactory()
    site = site_create(owner=user, domain="WWW.New.Example", timezone="Europe/Berlin")
    assert site.domain == "new.example"
    assert Membership.objects.get(site=site).role == Membership.Role.OWNER


def test_site_create_rejects_unknown_timezones():
    with pytest.raises(ValidationError):
        site_create(owner=UserFactory(), domain="x.example", timezone="Mars/Olympus")


def test_ownership_is_handed_to_another_member_and_the_giver_stays_a_viewer(db):
    from sites.services import AccessError, ownership_transfer
    from tests.factories import MembershipFactory, SiteFactory, UserFactory

    site = SiteFactory()
    owner = UserFactory()
    mine = MembershipFactory(site=site, user=owner, role="owner")
    theirs = MembershipFactory(site=site, role="viewer")
    with pytest.raises(AccessError):
        ownership_transfer(site=site, owner=owner, membership_id=mine.id)
    with pytest.raises(AccessError):
        ownership_transfer(site=site, owner=owner, membership_id=MembershipFactory().id)  # another site's
    assert ownership_transfer(site=site, owner=owner, membership_id=theirs.id).role == "owner"
    mine.refresh_from_db()
    assert mine.role == "viewer"
