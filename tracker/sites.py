"""Sites: creation (a service) and the domain lookup the ingest path uses (a cached selector)."""

from __future__ import annotations

import time
from functools import lru_cache

from django.contrib.auth.models import User
from django.db import transaction

from tracker.models import Membership, Site

# The site `make run` creates and fills with demo traffic.
DEMO_DOMAIN = "demo.footfall.test"
SITE_CACHE_SECONDS = 60
MISSING_SITE_CACHE_SECONDS = 5


def normalise_domain(domain: str) -> str:
    """Return the form sites are stored under: lower case, trimmed, without "www."."""
    return domain.strip().lower().rstrip(".").removeprefix("www.")


@transaction.atomic
def site_create(*, owner: User, domain: str, name: str = "", timezone: str = "UTC") -> Site:
    site = Site(domain=normalise_domain(domain), name=name or normalise_domain(domain), timezone=timezone)
    site.full_clean()
    site.save()
    Membership.objects.create(user=owner, site=site, role=Membership.Role.OWNER)
    return site


def _time_bucket(seconds: int) -> int:
    return int(time.monotonic() // seconds)


@lru_cache(maxsize=4096)
def _site_id(domain: str, bucket: int) -> int | None:
    """Return the site id of a domain; cached per (domain, time bucket), so answers age out."""
    return Site.objects.filter(domain=domain).values_list("id", flat=True).first()


def site_ids_by_domain(domains: list[str]) -> dict[str, int]:
    """Return {normalised domain: site id} for the domains that are registered.

    Known sites are cached for a minute and unknown domains for a few seconds, so the ingest
    path rarely touches the database and a newly added site starts counting at once.
    """
    found: dict[str, int] = {}
    for domain in {normalise_domain(d) for d in domains}:
        site_id = _site_id(domain, _time_bucket(SITE_CACHE_SECONDS))
        if site_id is None:
            site_id = _site_id(domain, -1 - _time_bucket(MISSING_SITE_CACHE_SECONDS))
        if site_id is not None:
            found[domain] = site_id
    return found


def forget_cached_sites() -> None:
    """Drop this process's cached lookups (after a site is deleted, and between tests)."""
    _site_id.cache_clear()
