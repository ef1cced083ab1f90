"""Changes to sites and who may see them: creating a site, members (owners manage, viewers read),
revocable public share links, and removing a site with the keys narrowed to it.

Deleting what a site collected is the write side's job (tracker/lifecycle/deletion.py), which ends
with site_remove here.
"""

from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.timezone import now

from sites.models import ApiKey, Membership, ShareLink, Site, normalise_domain


class AccessError(ValueError):
    """A membership change that would leave the site in a bad state; the message says why."""


@transaction.atomic
def site_create(*, owner: User, domain: str, name: str = "", timezone: str = "UTC") -> Site:
    domain = normalise_domain(domain)
    site = Site(domain=domain, name=name or domain[:200], timezone=timezone)
    site.full_clean()
    site.save()
    Membership.objects.create(user=owner, site=site, role=Membership.Role.OWNER)
    return site


def site_get_or_create(*, domain: str, owner: User | None) -> tuple[Site, bool]:
    """Return the site of this domain, creating it (owned by `owner`, if any) when there is none; and whether
    it was created. Safe against a concurrent creation of the same site."""
    domain = normalise_domain(domain)
    try:
        with transaction.atomic():
            site = Site(domain=domain, name=domain[:200], timezone="UTC")
            site.full_clean(validate_unique=False)
            site.save()
            if owner is not None:
                Membership.objects.create(user=owner, site=site, role=Membership.Role.OWNER)
    except IntegrityError:  # created meanwhile by another request
        return Site.objects.get(domain=domain), False
    return site, True


SETTINGS = ("timezone", "retention_days", "archive_retention_days")


def site_update(*, site: Site, **values: object) -> Site:
    """Change the site's settings (time zone, retention); raise ValidationError for a bad value."""
    unknown = set(values) - set(SETTINGS)
    if unknown:
        raise ValueError(f"not a setting: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        setattr(site, name, value)
    site.full_clean(validate_unique=False)
    site.save(update_fields=list(values))
    return site


def site_remove(site: Site) -> int:
    """Delete the site row, its members and share links, and the keys narrowed to it alone; return how
    many keys were deleted.

    A key narrowed to this site alone goes (without its one site it would reach every site of its
    user); a key narrowed to more sites loses this one. Call inside the caller's transaction.
    """
    keys = ApiKey.objects.filter(sites=site).prefetch_related("sites")
    only_this = [key.id for key in keys if {s.id for s in key.sites.all()} == {site.id}]
    ApiKey.objects.filter(id__in=only_this).delete()
    for key in ApiKey.objects.filter(sites=site):
        key.sites.remove(site)
    site.delete()
    return len(only_this)


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
    ShareLink.objects.filter(site=site, id=link_id, revoked__isnull=True).update(revoked=now())


def ownership_transfer(*, site: Site, owner: User, membership_id: int) -> Membership:
    """Hand the site to another member: they become an owner, and `owner` (if a member) a viewer."""
    with transaction.atomic():
        target = Membership.objects.select_for_update().filter(site=site, id=membership_id).first()
        if target is None or target.user_id == owner.pk:
            raise AccessError("Choose another member of the site.")
        target.role = Membership.Role.OWNER
        target.save(update_fields=["role"])
        Membership.objects.filter(site=site, user=owner).update(role=Membership.Role.VIEWER)
    return target
