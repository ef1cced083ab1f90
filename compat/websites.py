"""µAnalytics websites as Footfall sites: a website is the site whose domain is its name.

A name must be a domain, as every site's is, and is read as sites' domains are (lower case,
without "www."), so `Blog.example` and `blog.example` are one website, the site the snippet feeds
as `blog.example`. µAnalytics itself takes any name without a slash; Footfall refuses what is no
domain with InvalidDatabaseName, since a site's domain becomes a URL and a file name. Creating
on first write and deleting are services; the lookup is a selector.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from compat.errors import INVALID_DATABASE_NAME, CompatError
from sites.models import Membership, Site, normalise_domain, validate_domain
from tracker.lifecycle.deletion import site_delete

MAX_NAME = 253  # the site domain's column


def domain_of(name: str) -> str | None:
    """Return the domain a website name stands for, or None when it names no possible site."""
    domain = normalise_domain(name)
    if len(domain) > MAX_NAME:
        return None
    try:
        validate_domain(domain)
    except ValidationError:
        return None
    return domain


def check_name(name: str) -> str:
    """Return the website's domain, or raise InvalidDatabaseName."""
    domain = domain_of(name)
    if domain is None:
        raise CompatError(
            INVALID_DATABASE_NAME,
            f"A website name is a domain of at most {MAX_NAME} characters (letters, digits, '-', dots).",
        )
    return domain


def website_get(name: str) -> Site | None:
    domain = domain_of(name)
    return None if domain is None else Site.objects.filter(domain=domain).first()


def website_create(*, name: str, owner: User | None) -> tuple[Site, bool]:
    """Return the website's site, creating it (owned by `owner`) if it does not exist; and whether it was created."""
    domain = check_name(name)
    try:
        with transaction.atomic():
            site = Site.objects.create(domain=domain, name=domain[:200], timezone="UTC")
            if owner is not None:
                Membership.objects.create(user=owner, site=site, role=Membership.Role.OWNER)
    except IntegrityError:  # created meanwhile by another request
        return Site.objects.get(domain=domain), False
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
