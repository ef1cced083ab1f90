"""Write a backup: the database and the archive in one .tar.gz (see ops/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ops.backup import BackupError, backup_create, describe


class Command(BaseCommand):
    help = "Back up the database (SQLite backup API or pg_dump) and the archive directory into one .tar.gz."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "output", nargs="?", help="the file to write (default: footfall-backup-<UTC time>.tar.gz here)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"] or f"footfall-backup-{timezone.now():%Y%m%d-%H%M%S}.tar.gz")
        try:
            manifest = backup_create(output=output)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        facts = ", ".join(f"{name} {value}" for name, value in describe(manifest).items())
        self.stdout.write(f"wrote {output} ({output.stat().st_size:,} bytes): {facts}")
