"""Restore a backup written by `manage.py backup` (see ops/backup.py); then run `manage.py migrate`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.backup import BackupError, backup_restore, describe


class Command(BaseCommand):
    help = "Replace the database with a backup's and write its archive files into the archive directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", help="a .tar.gz written by manage.py backup")
        parser.add_argument(
            "--replace", action="store_true", help="restore even though the database holds sites or users"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest, files = backup_restore(source=Path(options["backup"]), replace=options["replace"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        facts = ", ".join(f"{name} {value}" for name, value in describe(manifest).items())
        self.stdout.write(f"restored {options['backup']}: {facts}; {files} archive files")
        self.stdout.write("Now run `manage.py migrate` (a backup of an older version needs its migrations).")
