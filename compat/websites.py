"""µAnalytics websites as Footfall sites: a website is the site whose domain is its exact name.

Names are case-sensitive and kept verbatim (a site created here is not normalised), so a
website named like a site the snippet feeds (`blog.example`) reads and writes that site, and
`Blog.example` is another one. Creating on first write and deleting are services; the lookup
is a selector.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from compat.errors import INVALID_DATABASE_NAME, CompatError
from tracker.models import Membership, Site
from tracker.sites import site_delete

MAX_NAME = 253  # the site domain's column


def check_name(name: str) -> None:
    if len(name) > MAX_NAME:
        raise CompatError(INVALID_DATABASE_NAME, f"Website names are at most {MAX_NAME} characters.")


def website_get(name: str) -> Site | None:
    return Site.objects.filter(domain=name).first() if len(name) <= MAX_NAME else None


def website_create(*, name: str, owner: User | None) -> tuple[Site, bool]:
    """Return the website's site, creating it (owned by `owner`) if it does not exist; and whether it was created."""
    check_name(name)
    try:
        with transaction.atomic():
            site = Site.objects.create(domain=name, name=name[:200], timezone="UTC")
            if owner is not None:
                Membership.objects.create(user=owner, site=site, role=Membership.Role.OWNER)
    except IntegrityError:  # created meanwhile by another request
        return Site.objects.get(domain=name), False
    return site, True


def website_delete(*, site: Site) -> None:
    """Delete the site as every other way of deleting one does: its data, archive files, members, and the
    keys narrowed to it alone (which would otherwise reach every site of their user)."""
    site_delete(site)


def websites_mark_long_lived_ids(sites: Iterable[Site]) -> None:
    """Note that these sites hold monthly visitor tokens, so the stats layer counts them from raw events."""
    Site.objects.filter(id__in=[site.id for site in sites], long_lived_visitor_ids=False).update(
        long_lived_visitor_ids=True
    )
