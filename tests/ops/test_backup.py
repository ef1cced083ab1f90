"""Backups round-trip: a restored database and archive hold the same events, visits, rollups, keys and
share links, and the stats answer the same; bad input is refused with a reason, never half-restored."""

from __future__ import annotations

import io
import json
import tarfile
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

import stats
from ops import backup
from sites.keys import api_key_authenticate
from sites.models import ApiKey, ShareLink, Site
from tracker.lifecycle.archive import archive_pending
from tracker.models import ArchiveFile, Event, Rollup, Session
from tracker.rollups import roll_up_all

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def answers(site: Site) -> dict[str, object]:
    """What the stats say about the site: an aggregate over its days and a breakdown by page."""
    query = stats.build_query(
        site_id=site.id,
        timezone=site.timezone,
        params={"period": "7d", "metrics": "visitors,pageviews,bounce_rate"},
        now=NOW,
    )
    aggregate = {name: value.value for name, value in stats.run(query).values.items()}
    pages = stats.build_query(
        site_id=site.id,
        timezone=site.timezone,
        params={"period": "7d", "property": "event:page"},
        now=NOW,
        kind=stats.Kind.BREAKDOWN,
    )
    return {"aggregate": aggregate, "pages": stats.run(pages).rows}


def snapshot(site: Site) -> dict[str, object]:
    return {
        "events": sorted(str(u) for u in Event.objects.values_list("uuid", flat=True)),
        "sessions": Session.objects.count(),
        "rollups": Rollup.objects.count(),
        "keys": sorted(ApiKey.objects.values_list("prefix", flat=True)),
        "links": sorted(ShareLink.objects.values_list("token", flat=True)),
        "archive": sorted(ArchiveFile.objects.values_list("name", "sha256")),
        "answers": answers(site),
    }


@pytest.fixture
def filled(site, secrets, archive_dir) -> Site:
    """stats.example with events, visits, rollups, keys, a share link and archive files."""
    ShareLink.objects.create(site=site, token="t" * 32)
    roll_up_all(now=NOW)
    archive_pending(now=NOW, force=True)
    assert Rollup.objects.exists()
    assert ArchiveFile.objects.exists()
    return site


def test_round_trip(filled, secrets, archive_dir, tmp_path):
    before = snapshot(filled)
    files = {path.relative_to(archive_dir): path.read_bytes() for path in archive_dir.rglob("*") if path.is_file()}
    output = tmp_path / "backup.tar.gz"
    out = StringIO()
    call_command("backup", str(output), stdout=out)
    assert f"wrote {output}" in out.getvalue()
    assert output.stat().st_mode & 0o777 == 0o600, "a backup holds every event and password hash"

    # Everything is lost: the data, the archive.
    Site.objects.all().delete()
    ApiKey.objects.all().delete()
    for path in files:
        (archive_dir / path).unlink()
    assert not Event.objects.exists()

    out = StringIO()
    call_command("restore", str(output), "--replace", stdout=out)
    assert "archive files" in out.getvalue()
    connection.close()  # the restored database is read afresh
    site = Site.objects.get(domain="stats.example")
    assert snapshot(site) == before
    restored = {path.relative_to(archive_dir): path.read_bytes() for path in archive_dir.rglob("*") if path.is_file()}
    assert restored == files
    assert api_key_authenticate(secrets["stats:read"]).name == "stats:read", "keys still open the API"


def test_manifest_says_what_the_backup_holds(filled, tmp_path):
    output = tmp_path / "backup.tar.gz"
    manifest = backup.backup_create(output=output)
    with tarfile.open(output) as tar:
        names = tar.getnames()
        stored = json.loads(tar.extractfile(backup.MANIFEST).read())  # type: ignore[union-attr]
    assert stored["version"] == manifest.version
    assert stored["engine"] == connection.vendor
    assert stored["events"] == Event.objects.count()
    assert stored["sites"] == Site.objects.count()
    assert "tracker.0001_initial" in stored["migrations"]
    assert stored["archive"] == "included"
    assert {backup.MANIFEST, backup.ARCHIVE_DIR} <= set(names)
    assert (backup.SQLITE_FILE if connection.vendor == "sqlite" else backup.POSTGRES_FILE) in names


def test_restore_refuses_to_overwrite_data_unless_asked(filled, tmp_path):
    output = tmp_path / "backup.tar.gz"
    backup.backup_create(output=output)
    with pytest.raises(CommandError, match="--replace"):
        call_command("restore", str(output))


def test_restore_refuses_what_is_no_backup(db, tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar file")
    with pytest.raises(CommandError, match="is no Footfall backup"):
        call_command("restore", str(junk))


def test_restore_refuses_a_backup_of_another_engine(filled, tmp_path):
    output = tmp_path / "backup.tar.gz"
    backup.backup_create(output=output)
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    edited = tmp_path / "other.tar.gz"
    with tarfile.open(output) as source, tarfile.open(edited, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member) if member.isfile() else None
            if member.name == backup.MANIFEST:
                manifest = json.loads(data.read())  # type: ignore[union-attr]
                manifest["engine"] = other
                payload = json.dumps(manifest).encode()
                member.size = len(payload)
                data = io.BytesIO(payload)
            target.addfile(member, data)
    Site.objects.all().delete()
    with pytest.raises(CommandError, match=f"backup is of a {other} database"):
        call_command("restore", str(edited), "--replace")


def test_backup_without_pg_dump_says_so(filled, tmp_path, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite backups need no tool")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError, match="pg_dump is not on PATH"):
        call_command("backup", str(tmp_path / "b.tar.gz"))


def test_archive_location_is_none_for_object_storage(settings):
    settings.STORAGES = {**settings.STORAGES, "archive": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {}}}
    assert backup.archive_location() is None


def test_default_output_name(filled, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    call_command("backup", stdout=StringIO())
    assert len(list(Path(tmp_path).glob("footfall-backup-*.tar.gz"))) == 1
