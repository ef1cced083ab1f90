"""Deleting a site's data, or the site with it: events, visits, rollups, imported history and archive
files, in bounded batches so no lock is held for long, then (for the site) its members and keys
(sites.services)."""

from __future__ import annotations

from django.db import transaction

from imports.models import Import, ImportedStat
from sites.models import Site
from sites.selectors import forget_cached_sites
from sites.services import site_remove
from tracker.lifecycle import archive
from tracker.lifecycle.retention import delete_in_batches
from tracker.models import Event, Rollup, RollupDirty, RollupState, Session
from tracker.pipeline import locks
from tracker.store import event_store


def _delete_stored_events(site: Site) -> None:
    """Delete the site's events and visits from the event store too, where one is configured."""
    store = event_store()
    if store is not None:
        store.delete_events(site.id)


def _delete_raw_data(site: Site) -> dict[str, int]:
    """Delete the site's archive files, events, sessions and rollups, in bounded batches."""
    archive.stop_archiving(site)
    counts = {"archive_files": archive.delete_site_files(site)}
    counts["events"] = delete_in_batches(Event.objects.filter(site_id=site.id))
    counts["sessions"] = delete_in_batches(Session.objects.filter(site_id=site.id))
    _delete_stored_events(site)
    counts["rollups"] = Rollup.objects.filter(site=site).delete()[0]
    counts["imported"] = ImportedStat.objects.filter(site=site).delete()[0]
    Import.objects.filter(site=site).delete()
    RollupDirty.objects.filter(site=site).delete()
    RollupState.objects.filter(site=site).delete()
    return counts


def site_delete_data(site: Site) -> dict[str, int]:
    """Delete everything the site collected (events, sessions, rollups, imports, archive files); keep the site,
    its members and keys. Collection goes on: events from now on are stored and archived as before.

    Returns the number of rows (and files) deleted by kind.
    """
    counts = _delete_raw_data(site)
    with transaction.atomic():
        # Events stored while the batches ran: few, so deleted under the site's lock (the site's batches
        # in flight commit first, its next ones wait), which also makes the archive resume exactly after them.
        locks.lock_site(site.id)
        counts["events"] += Event.objects.filter(site_id=site.id).delete()[0]
        counts["sessions"] += Session.objects.filter(site_id=site.id).delete()[0]
        _delete_stored_events(site)
    archive.resume_archiving(site)
    archive.delete_site_files(site)  # files of events stored during the deletion, if any were written
    return counts


def site_delete(site: Site) -> dict[str, int]:
    """Delete the site and everything of it: events, sessions, rollups, archive files, members, and keys
    narrowed to it alone (sites.services.site_remove)."""
    counts = _delete_raw_data(site)
    with transaction.atomic():
        # No batch of the site's is between its site check and its commit meanwhile: those in flight
        # commit first, and the next ones find the site gone.
        locks.lock_site(site.id)
        # What is left is small: events stored while the batches ran, memberships, the cursor.
        _delete_stored_events(site)
        counts["keys"] = site_remove(site)
    forget_cached_sites()
    return counts
