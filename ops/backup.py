"""Backups: the database and the archive in one .tar.gz, and the way back.

A backup holds `manifest.json` (Footfall's version, the database engine, the applied migrations, a
few counts), the database (`database.sqlite3`, a consistent copy through SQLite's backup API while
Footfall runs; or `database.dump`, pg_dump's custom format) and `archive/`, the archive directory
(an S3 archive is not copied: back the bucket up with its own tools). It holds every event,
password hashes and the day's salts, so it is written readable by its owner only.

Restoring replaces the database with the backup's (and writes the backup's archive files over the
archive directory); then `manage.py migrate` brings a backup of an older version up to this one.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from analytics_site import __version__
from sites.models import Site
from tracker.models import Event

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.dump"
ARCHIVE_DIR = "archive"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    version: str
    created: str
    engine: str
    migrations: list[str]
    sites: int
    events: int
    archive: str  # "included", or why not

    @classmethod
    def read(cls, data: bytes) -> Manifest:
        return cls(**json.loads(data))


def archive_location() -> Path | None:
    """The archive directory, or None when the archive is not on this machine's file system (S3)."""
    archive: dict[str, Any] = settings.STORAGES["archive"]
    if not archive["BACKEND"].endswith("FileSystemStorage"):
        return None
    return Path(archive["OPTIONS"]["location"])


def _engine() -> str:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {connection.vendor}")
    return connection.vendor


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH (apt-get install postgresql-client, of the server's version or newer)"
        )
    return found


def _postgres_environ() -> dict[str, str]:
    """libpq's variables for the configured database: no password on a command line."""
    db = connection.settings_dict
    values = {"PGDATABASE": db["NAME"], "PGHOST": db["HOST"], "PGPORT": str(db["PORT"] or ""), "PGUSER": db["USER"]}
    if db["PASSWORD"]:
        values["PGPASSWORD"] = db["PASSWORD"]
    return {**os.environ, **{name: value for name, value in values.items() if value}}


def _run(command: list[str]) -> None:
    result = subprocess.run(command, env=_postgres_environ(), capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


def _dump_database(folder: Path, engine: str) -> Path:
    if engine == "sqlite":
        target = folder / SQLITE_FILE
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        return target
    target = folder / POSTGRES_FILE
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"])
    return target


def _manifest(engine: str, archive: str) -> Manifest:
    applied = MigrationRecorder(connection).applied_migrations()
    return Manifest(
        version=__version__,
        created=timezone.now().isoformat(timespec="seconds"),
        engine=engine,
        migrations=sorted(f"{app}.{name}" for app, name in applied),
        sites=Site.objects.count(),
        events=Event.objects.count(),
        archive=archive,
    )


def backup_create(*, output: Path) -> Manifest:
    """Write a backup of the database and the archive to `output` (a .tar.gz, mode 0600); return its manifest."""
    engine = _engine()
    location = archive_location()
    archive = "included" if location is not None else "not included: the archive is in object storage"
    with tempfile.TemporaryDirectory(prefix="footfall-backup-") as tmp:
        manifest = _manifest(engine, archive)
        database = _dump_database(Path(tmp), engine)
        (Path(tmp) / MANIFEST).write_text(json.dumps(manifest.__dict__, indent=2) + "\n")
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file, tarfile.open(fileobj=file, mode="w:gz") as tar:
            tar.add(Path(tmp) / MANIFEST, arcname=MANIFEST)
            tar.add(database, arcname=database.name)
            if location is not None and location.is_dir():
                tar.add(location, arcname=ARCHIVE_DIR)
    return manifest


def _has_data() -> bool:
    return Site.objects.exists() or User.objects.exists()


def _restore_database(folder: Path, engine: str) -> None:
    if engine == "sqlite":
        source = sqlite3.connect(folder / SQLITE_FILE)
        connection.ensure_connection()
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        return
    connection.close()  # pg_restore drops the tables: no open transaction of ours may hold them
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            f"--dbname={connection.settings_dict['NAME']}",
            str(folder / POSTGRES_FILE),
        ]
    )


def _restore_archive(folder: Path) -> int:
    location, source = archive_location(), folder / ARCHIVE_DIR
    if location is None or not source.is_dir():
        return 0
    files = 0
    for path in source.rglob("*"):
        if path.is_file():
            target = location / path.relative_to(source)
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            target.chmod(0o600)
            files += 1
    return files


def backup_restore(*, source: Path, replace: bool = False) -> tuple[Manifest, int]:
    """Restore a backup: the database replaced by the backup's, its archive files written into the archive.

    Refuses a database that holds sites or users unless `replace`, and a backup of another engine.
    Returns the backup's manifest and the number of archive files restored.
    """
    engine = _engine()
    if not replace and _has_data():
        raise BackupError("the database holds sites or users; restoring replaces them all (--replace to go on)")
    with tempfile.TemporaryDirectory(prefix="footfall-restore-") as tmp:
        try:
            with tarfile.open(source, mode="r:gz") as tar:
                tar.extractall(tmp, filter="data")
            manifest = Manifest.read((Path(tmp) / MANIFEST).read_bytes())
        except (OSError, tarfile.TarError, ValueError, TypeError, KeyError) as exc:
            raise BackupError(f"{source} is no Footfall backup: {exc}") from exc
        if manifest.engine != engine:
            raise BackupError(f"the backup is of a {manifest.engine} database, this is {engine}")
        _restore_database(Path(tmp), engine)
        files = _restore_archive(Path(tmp))
    return manifest, files


def describe(manifest: Manifest) -> dict[str, Any]:
    """The manifest's facts a person wants to see after a backup or restore."""
    return {
        "version": manifest.version,
        "created": manifest.created,
        "engine": manifest.engine,
        "sites": manifest.sites,
        "events": manifest.events,
        "migrations": len(manifest.migrations),
        "archive": manifest.archive,
    }
