"""Sites: creation (a service) and the domain lookup the ingest path uses (a cached selector)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction

from tracker.models import Membership, Site

SITE_CACHE_SECONDS = 60
_MISSING = 0


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


def site_ids_by_domain(domains: list[str]) -> dict[str, int]:
    """Return {normalised domain: site id} for the domains that are registered.

    Answers come from the cache for a minute, so the ingest path rarely touches the database.
    """
    wanted = {normalise_domain(d) for d in domains}
    keys = {f"footfall:site:{d}": d for d in wanted}
    cached = cache.get_many(list(keys))
    found = {keys[k]: v for k, v in cached.items() if v != _MISSING}
    unknown = wanted - {keys[k] for k in cached}
    if unknown:
        rows = dict(Site.objects.filter(domain__in=unknown).values_list("domain", "id"))
        cache.set_many({f"footfall:site:{d}": rows.get(d, _MISSING) for d in unknown}, SITE_CACHE_SECONDS)
        found.update(rows)
    return found


def forget_site(domain: str) -> None:
    cache.delete(f"footfall:site:{normalise_domain(domain)}")
