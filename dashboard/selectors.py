"""Reads of sites for the signed-in user."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from tracker.models import Membership, Site
from tracker.sites import normalise_domain


def sites_for_user(user: User | AnonymousUser) -> QuerySet[Site]:
    """Return the sites the user is a member of (every site for a superuser)."""
    if user.is_superuser:
        return Site.objects.all()
    if isinstance(user, AnonymousUser):
        return Site.objects.none()
    return Site.objects.filter(memberships__user=user).distinct()


def site_for_user(user: User | AnonymousUser, domain: str) -> Site:
    """Return the user's site with this domain; 404 alike when it is missing or someone else's."""
    site = sites_for_user(user).filter(domain=normalise_domain(domain)).first()
    if site is None:
        raise Http404("No such site.")
    return site


def user_owns(user: User | AnonymousUser, site: Site) -> bool:
    """Whether the user may manage the site (an owner, or a superuser)."""
    return user.is_superuser or Membership.objects.filter(site=site, user_id=int(user.pk or 0), role="owner").exists()


def site_for_owner(user: User | AnonymousUser, domain: str) -> Site:
    """Return the site if the user owns it: 404 for strangers, 403 for viewers (who know it exists)."""
    site = site_for_user(user, domain)
    if not user_owns(user, site):
        raise PermissionDenied("Only the site's owners manage it.")
    return site
