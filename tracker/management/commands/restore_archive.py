"""Reload archived events into the database; idempotent (events already stored are skipped)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from sites.selectors import site_by_domain
from tracker.lifecycle import archive
from tracker.management.commands._dates import parse_bound


class Command(BaseCommand):
    help = (
        "Restore archived events (hour files and batches, .json.gz and Parquet) into the database through the "
        "pipeline: "
        "visits are rebuilt and rollups recomputed on the next rollup run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", help="Domain of one site (default: every site with archive files)")
        parser.add_argument("--since", help="First day (YYYY-MM-DD, UTC) or ISO 8601 time, inclusive")
        parser.add_argument("--until", help="Last day (YYYY-MM-DD, UTC, inclusive) or ISO 8601 time, exclusive")

    def handle(self, *args: Any, **options: Any) -> None:
        sites = None
        if options["site"]:
            found = site_by_domain(options["site"])
            sites = [found] if found else []
            if not sites:
                raise CommandError(f"No site {options['site']!r}: create it first, then restore its archive.")
        since = parse_bound(options["since"], "UTC", end=False)
        until = parse_bound(options["until"], "UTC", end=True)

        def progress(
            hours: Iterator[tuple[datetime, list[str]]], total: int, domain: str
        ) -> Iterator[tuple[datetime, list[str]]]:
            return iter(tqdm(hours, total=total, unit="hour", desc=f"restore {domain}", file=self.stderr))

        result = archive.restore(sites=sites, since=since, until=until, progress=progress)
        for folder in result.skipped_sites:
            self.stderr.write(f"skipped {folder}/: no such site (create it, then restore again)")
        if result.damaged_files:
            self.stderr.write(f"{result.damaged_files} damaged files: their complete events were restored")
        self.stdout.write(
            f"read {result.events:,} events from {result.files:,} files; stored {result.stored:,} "
            f"({result.events - result.stored:,} were stored already)."
        )
