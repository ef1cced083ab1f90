"""manage.py import_microanalytics ROOT: load a µAnalytics data root; re-running imports nothing twice."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from compat.importer import ImportSummary, count_rows, find_shards, import_root


class Command(BaseCommand):
    help = "Import µAnalytics data (ROOT/<website>/<YYYY-MM>/analytics.db) through the pipeline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("root", type=Path, help="µAnalytics' database directory (its --root)")
        parser.add_argument("--owner", default="", help="user name to own the sites created")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        root: Path = options["root"]
        if not root.is_dir():
            raise CommandError(f"{root} is not a directory")
        owner = None
        if options["owner"]:
            owner = User.objects.filter(username=options["owner"]).first()
            if owner is None:
                raise CommandError(f"no user {options['owner']!r}")
        summary = ImportSummary()
        shards = find_shards(root, summary)
        readable = []
        total = 0
        for shard in shards:
            try:
                total += count_rows(shard)
            except (sqlite3.Error, OSError) as exc:  # report the file and go on
                summary.unreadable.append((shard.path, str(exc)))
            else:
                readable.append(shard)
        with tqdm(total=total, unit="row", disable=options["no_progress"], file=self.stderr) as bar:
            import_root(
                root,
                owner=owner,
                batch_size=options["batch_size"],
                progress=bar.update,
                shards=readable,
                summary=summary,
            )
        self._report(summary)

    def _report(self, summary: ImportSummary) -> None:
        self.stdout.write(
            f"{summary.imported} events imported, {summary.already_imported} already imported, "
            f"{summary.invalid} rows with an invalid time skipped; "
            f"{summary.rows} rows in {summary.files} files of {len(summary.websites)} websites"
        )
        for path, reason in summary.unreadable:
            self.stdout.write(self.style.WARNING(f"unreadable, skipped: {path} ({reason})"))
        for path in summary.skipped_folders:
            self.stdout.write(self.style.WARNING(f"not a website or month folder, skipped: {path}"))
