"""µAnalytics websites as Footfall sites: a website is the site whose domain is its name.

A name must be a domain, as every site's is, and is read as sites' domains are (lower case,
without "www."), so `Blog.example` and `blog.example` are one website, the site the snippet feeds
as `blog.example`. µAnalytics itself takes any name without a slash; Footfall refuses what is no
domain with InvalidDatabaseName, since a site's domain becomes a URL and a file name. Creating one
on first write is a service of the sites app and the lookup one of its selectors.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from compat.errors import INVALID_DATABASE_NAME, CompatError
from sites.models import Site, normalise_domain, validate_domain
from sites.selectors import site_by_domain
from sites.services import site_get_or_create

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
    return None if domain is None else site_by_domain(domain)


def website_create(*, name: str, owner: User | None) -> tuple[Site, bool]:
    """Return the website's site, creating it (owned by `owner`) if it does not exist; and whether it was created."""
    return site_get_or_create(domain=check_name(name), owner=owner)


def websites_mark_long_lived_ids(sites: Iterable[Site]) -> None:
    """Note that these sites hold monthly visitor tokens, so the stats layer counts them from raw events."""
    Site.objects.filter(id__in=[site.id for site in sites], long_lived_visitor_ids=False).update(
        long_lived_visitor_ids=True
    )
