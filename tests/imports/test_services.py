"""Running and deleting imports: idempotent per file, all or nothing, gone with the site's data."""

from __future__ import annotations

import io
from datetime import date

import pytest

from imports import formats
from imports.models import Import, ImportedStat, ImportUpload
from imports.rows import FileError, Stat, Writer
from imports.services import UnknownFormat, import_create, import_delete, import_run, import_run_stored
from tests.factories import ImportedStatFactory, SiteFactory
from tests.imports.conftest import DATA, load
from tracker.lifecycle.deletion import site_delete, site_delete_data

pytestmark = pytest.mark.django_db


def test_importing_the_same_file_again_changes_nothing(site):
    first, _ = load(site, "plausible", DATA / "plausible_export.zip")
    count = ImportedStat.objects.count()
    with (DATA / "plausible_export.zip").open("rb") as file:
        again, new = import_create(site_id=site.id, format="plausible", file_name="renamed.zip", file=file)
    assert (again.id, new) == (first.id, False)
    assert ImportedStat.objects.count() == count
    assert Import.objects.count() == 1


def test_the_same_file_into_another_site_is_another_import(site):
    load(site, "plausible", DATA / "plausible_export.zip")
    other, summary = load(SiteFactory(), "plausible", DATA / "plausible_export.zip")
    assert summary is not None
    assert other.stats.count() == ImportedStat.objects.filter(site=site).count()


def test_a_failed_import_leaves_no_rows_and_runs_again_when_the_file_comes_back(site, monkeypatch):
    def broken(job, file, progress):
        writer = Writer(job)
        writer.add(Stat(day=date(2025, 1, 1), dimension="", value="", visitors=1))
        writer.flush()
        raise FileError("broken half way")

    monkeypatch.setitem(formats.FORMATS, "plausible", formats.Format("test", broken))
    job, summary = load(site, "plausible", DATA / "plausible_export.zip")
    job.refresh_from_db()
    assert summary is None
    assert (job.status, job.error) == ("failed", "broken half way")
    assert not ImportedStat.objects.exists()
    monkeypatch.undo()
    again, summary = load(site, "plausible", DATA / "plausible_export.zip")
    assert again.id == job.id
    assert summary is not None
    assert again.stats.exists()


def test_deleting_an_import_removes_its_rows_and_no_others(site):
    job, _ = load(site, "plausible", DATA / "plausible_export.zip")
    other = ImportedStatFactory(site=site, job__site=site)
    assert import_delete(site_id=site.id, import_id=job.id)
    assert list(ImportedStat.objects.all()) == [other]
    assert not import_delete(site_id=SiteFactory().id, import_id=other.job_id)  # another site's import


def test_deleting_the_sites_data_or_the_site_removes_its_imports(site):
    load(site, "umami", DATA / "umami_website_event.csv")
    kept = ImportedStatFactory()
    assert site_delete_data(site)["imported"] > 0
    assert list(ImportedStat.objects.all()) == [kept]
    assert not Import.objects.filter(site=site).exists()
    load(site, "umami", DATA / "umami_website_event.csv")
    site_delete(site)
    assert list(ImportedStat.objects.all()) == [kept]


def test_an_upload_is_kept_for_the_worker_and_dropped_once_imported(site):
    data = (DATA / "umami_website_event.csv").read_bytes()
    job, new = import_create(site_id=site.id, format="umami", file_name="events.csv", file=io.BytesIO(data), keep=True)
    assert new
    assert bytes(ImportUpload.objects.get(job=job).data) == data
    import_run_stored(job.id)
    job.refresh_from_db()
    assert job.status == "done"
    assert job.progress == 100
    assert not ImportUpload.objects.exists()
    import_run_stored(job.id)  # a repeated task finds nothing queued
    assert job.stats.count() == ImportedStat.objects.count()


def test_progress_is_reported_and_kept_on_the_import(site):
    seen = []
    with (DATA / "plausible_export.zip").open("rb") as file:
        job, _ = import_create(site_id=site.id, format="plausible", file_name="export.zip", file=file)
        import_run(job, file, lambda done, total: seen.append((done, total)))
    assert seen[-1][0] == seen[-1][1]
    assert len(seen) == 10
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_an_unknown_format_is_refused():
    with pytest.raises(UnknownFormat, match="use one of plausible, umami, ga4"):
        import_create(site_id=SiteFactory().id, format="matomo", file_name="x.csv", file=io.BytesIO(b""))
