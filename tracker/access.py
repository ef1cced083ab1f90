"""Who may see a site: members (owners manage, viewers read) and revocable public share links."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from tracker.models import Membership, ShareLink, Site


class AccessError(ValueError):
    """A membership change that would leave the site in a bad state; the message says why."""


def membership_set(*, site: Site, username: str, role: str) -> Membership:
    """Add an existing user to the site, or change their role."""
    if role not in Membership.Role.values:
        raise AccessError(f"Unknown role {role!r}.")
    user = User.objects.filter(username=username.strip(), is_active=True).first()
    if user is None:
        raise AccessError(f"No active user {username!r}.")
    with transaction.atomic():
        membership, _ = Membership.objects.select_for_update().get_or_create(site=site, user=user)
        if membership.role == Membership.Role.OWNER and role != Membership.Role.OWNER:
            _keep_an_owner(site, leaving=membership)
        membership.role = role
        membership.save()
    return membership


def membership_remove(*, site: Site, membership_id: int) -> None:
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(site=site, id=membership_id).first()
        if membership is None:
            raise AccessError("No such member.")
        if membership.role == Membership.Role.OWNER:
            _keep_an_owner(site, leaving=membership)
        membership.delete()


def _keep_an_owner(site: Site, *, leaving: Membership) -> None:
    others = Membership.objects.filter(site=site, role=Membership.Role.OWNER).exclude(id=leaving.id)
    if not others.exists():
        raise AccessError("A site keeps at least one owner.")


def share_link_create(site: Site) -> ShareLink:
    return ShareLink.objects.create(site=site, token=secrets.token_urlsafe(24))


def share_link_revoke(*, site: Site, link_id: int) -> None:
    ShareLink.objects.filter(site=site, id=link_id, revoked__isnull=True).update(revoked=timezone.now())


def site_for_share_token(token: str) -> Site | None:
    """Return the site an active share link shows, or None."""
    link = ShareLink.objects.select_related("site").filter(token=token, revoked__isnull=True).first()
    return link.site if link else None
