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


def _delete_raw_data(site: Site) -> dict[str, int]:
    """Delete the site's archive files, events, sessions and rollups, in bounded batches."""
    # Imported here: the archive imports the pipeline, which imports this module's callers.
    from tracker import archive
    from tracker.models import Event, Rollup, RollupDirty, RollupState, Session
    from tracker.retention import delete_in_batches

    archive.stop_archiving(site)
    counts = {"archive_files": archive.delete_site_files(site)}
    counts["events"] = delete_in_batches(Event.objects.filter(site_id=site.id))
    counts["sessions"] = delete_in_batches(Session.objects.filter(site_id=site.id))
    counts["rollups"] = Rollup.objects.filter(site=site).delete()[0]
    RollupDirty.objects.filter(site=site).delete()
    RollupState.objects.filter(site=site).delete()
    return counts


def site_delete_data(site: Site) -> dict[str, int]:
    """Delete everything the site collected (events, sessions, rollups, archive files); keep the site,
    its members and keys. Collection goes on: events from now on are stored and archived as before.

    Returns the number of rows (and files) deleted by kind.
    """
    from tracker import archive, sessions
    from tracker.models import Event, Session

    counts = _delete_raw_data(site)
    with transaction.atomic():
        # Events stored while the batches ran: few, so deleted under the pipeline's lock, which also
        # makes the archive resume exactly after them.
        sessions.lock_session_writes()
        counts["events"] += Event.objects.filter(site_id=site.id).delete()[0]
        counts["sessions"] += Session.objects.filter(site_id=site.id).delete()[0]
    archive.resume_archiving(site)
    archive.delete_site_files(site)  # files of events stored during the deletion, if any were written
    return counts


def site_delete(site: Site) -> dict[str, int]:
    """Delete the site and everything of it: events, sessions, rollups, archive files, members, and keys.

    A key narrowed to this site alone is deleted (without its one site it would reach every site
    of its user); a key narrowed to more sites loses this one.
    """
    from tracker import sessions
    from tracker.models import ApiKey

    counts = _delete_raw_data(site)
    with transaction.atomic():
        # No batch of the pipeline is between its site check and its commit meanwhile.
        sessions.lock_session_writes()
        keys = ApiKey.objects.filter(sites=site).prefetch_related("sites")
        only_this = [key.id for key in keys if {s.id for s in key.sites.all()} == {site.id}]
        ApiKey.objects.filter(id__in=only_this).delete()
        counts["keys"] = len(only_this)
        for key in ApiKey.objects.filter(sites=site):
            key.sites.remove(site)
        # What is left is small: events stored while the batches ran, memberships, the cursor.
        site.delete()
    forget_cached_sites()
    return counts
