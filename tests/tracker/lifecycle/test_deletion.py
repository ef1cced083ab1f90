"""Deleting a site (service, Django admin) leaves nothing of it anywhere; deleting its data keeps the site."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection

from sites.keys import api_key_create
from sites.models import ApiKey, Membership, Site
from sites.selectors import site_ids_by_domain
from tests.factories import TIME_ZERO, MembershipFactory, SiteFactory, UserFactory
from tests.tracker.events import store, visits
from tracker import pipeline, rollups
from tracker.lifecycle import archive
from tracker.lifecycle.deletion import site_delete, site_delete_data
from tracker.models import ArchiveCursor, Event, Rollup, Session
from tracker.pipeline import storage

pytestmark = pytest.mark.django_db

LATER = TIME_ZERO + timedelta(days=3)


def rows_of(site_id: int) -> dict[str, int]:
    """Count the rows of every tracker model that point at the site."""
    counts = {}
    for model in apps.get_app_config("tracker").get_models():
        names = {f.name for f in model._meta.get_fields()}
        if "site" in names and model is not Site:
            counts[model.__name__] = model.objects.filter(site_id=site_id).count()
    return counts


@pytest.fixture
def full_site(archive_dir):
    """A site with events, visits, rollups, dirty days, archive batches and hour files, members and keys."""
    site = SiteFactory(domain="doomed.example")
    owner = UserFactory()
    MembershipFactory(user=owner, site=site)
    store(visits(site, visitors=3, hours=3))
    rollups.roll_up_site(site, now=LATER)
    archive.archive_pending(now=LATER, force=True)
    archive.compact(now=LATER, sites=[site])
    store(visits(site, start=TIME_ZERO + timedelta(minutes=3), visitors=1, hours=1))  # a dirty day, a new batch
    archive.archive_pending(now=LATER, force=True)
    assert (archive_dir / "doomed.example").exists()
    return site, owner


def test_site_delete_leaves_nothing_of_the_site_anywhere(full_site, archive_dir):
    site, owner = full_site
    other = SiteFactory(domain="kept.example")
    MembershipFactory(user=owner, site=other)
    store(visits(other, visitors=1, hours=1))
    archive.archive_pending(now=LATER, force=True)
    only_this = api_key_create(user=owner, name="only", scopes=["stats:read"], sites=[site])[0]
    both = api_key_create(user=owner, name="both", scopes=["stats:read"], sites=[site, other])[0]
    unrestricted = api_key_create(user=owner, name="all", scopes=["stats:read"])[0]
    assert all(rows_of(site.id)[m] for m in ("Event", "Session", "Rollup", "RollupState", "ArchiveFile"))
    site_id = site.id

    counts = site_delete(site)

    assert counts["events"] > 0
    assert counts["archive_files"] > 0
    assert not Site.objects.filter(id=site_id).exists()
    assert set(rows_of(site_id).values()) == {0}
    assert not Membership.objects.filter(site_id=site_id).exists()
    assert not (archive_dir / "doomed.example").exists()
    assert not ApiKey.objects.filter(id=only_this.id).exists()  # unrestricted it would reach every site
    assert list(ApiKey.objects.get(id=both.id).sites.all()) == [other]
    assert ApiKey.objects.filter(id=unrestricted.id).exists()
    assert site_ids_by_domain(["doomed.example"]) == {}
    # The other site is untouched.
    assert Event.objects.filter(site_id=other.id).exists()
    assert any(p.is_file() for p in (archive_dir / "kept.example").rglob("*"))


def test_site_delete_data_keeps_the_site_members_and_keys_and_collects_on(full_site, archive_dir):
    site, owner = full_site
    key = api_key_create(user=owner, name="only", scopes=["stats:read"], sites=[site])[0]
    site_delete_data(site)
    counts = rows_of(site.id)
    assert {m: n for m, n in counts.items() if m not in ("Membership", "ArchiveCursor")} == dict.fromkeys(
        [m for m in counts if m not in ("Membership", "ArchiveCursor")], 0
    )
    assert Membership.objects.filter(site=site).exists()
    assert ApiKey.objects.filter(id=key.id).exists()
    assert not any(p.is_file() for p in archive_dir.rglob("*"))
    # New events are stored and archived as before, and only they.
    store(visits(site, start=TIME_ZERO + timedelta(days=1), visitors=1, hours=1))
    assert archive.archive_pending(now=LATER, force=True).events == Event.objects.filter(site=site).count()
    assert ArchiveCursor.objects.get(site=site).last_event_id < archive.CURSOR_STOPPED


def test_admin_delete_confirms_by_name_and_uses_the_service(client, full_site, archive_dir):
    site, _ = full_site
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = f"/admin/sites/site/{site.id}/delete/"
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "doomed.example" in text
    assert f"{Event.objects.filter(site=site).count():,} events" in text
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Site.objects.filter(domain="doomed.example").exists()
    assert set(rows_of(site.id).values()) == {0}
    assert not (archive_dir / "doomed.example").exists()
    assert not Session.objects.exists()
    assert not Rollup.objects.exists()


def test_admin_bulk_delete_uses_the_service(client, full_site, archive_dir):
    site, _ = full_site
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/sites/site/", {"action": "delete_selected", "_selected_action": [site.id], "post": "yes"}
    )
    assert response.status_code == 302
    assert not Site.objects.exists()
    assert not Event.objects.exists()
    assert not (archive_dir / "doomed.example").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("delete", [site_delete_data, site_delete], ids=["data", "site"])
def test_deletion_waits_for_a_batch_storing_the_sites_events(postgres, archive_dir, monkeypatch, delete):
    """A batch of the site is between its site check and its commit when the deletion starts: the deletion's
    last pass waits for it under the site's lock, and then deletes what it stored too."""
    site = SiteFactory(domain="racing.example")
    store(visits(site, visitors=2, hours=1))
    inside, release = threading.Event(), threading.Event()
    real = storage.insert_events

    def slow_insert(hits) -> None:
        real(hits)
        inside.set()
        release.wait(30)

    monkeypatch.setattr(storage, "insert_events", slow_insert)

    def run(work) -> threading.Thread:
        def target() -> None:
            try:
                work()
            finally:
                connection.close()

        thread = threading.Thread(target=target)
        thread.start()
        return thread

    storing = run(lambda: pipeline.process_batch(visits(site, start=TIME_ZERO + timedelta(hours=5), visitors=3)))
    assert inside.wait(10)
    deleting = run(lambda: delete(site))
    deleting.join(1.0)
    assert deleting.is_alive(), "the deletion must wait for the batch in flight"
    release.set()
    storing.join(30)
    deleting.join(30)
    assert not deleting.is_alive()
    assert Event.objects.filter(site_id=site.id).count() == 0
    assert Session.objects.filter(site_id=site.id).count() == 0
