"""Reads of sites for the signed-in user."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from tracker.models import Site


def sites_for_user(user: User | AnonymousUser) -> QuerySet[Site]:
    """Return the sites the user is a member of (every site for a superuser)."""
    if user.is_superuser:
        return Site.objects.all()
    if isinstance(user, AnonymousUser):
        return Site.objects.none()
    return Site.objects.filter(memberships__user=user).distinct()
