"""Write every stored event not archived yet to the archive now, and optionally compact finished hours."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from sites.models import Site, normalise_domain
from tracker.lifecycle import archive


class Command(BaseCommand):
    help = (
        "Archive stored events to batch files (.json.gz or Parquet, as ARCHIVE_FORMAT says; all pending, at once); "
        "--compact merges finished hours."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", help="Domain of one site (default: every site)")
        parser.add_argument("--compact", action="store_true", help="Then merge each finished hour's batches")

    def handle(self, *args: Any, **options: Any) -> None:
        sites = list(Site.objects.all())
        if options["site"]:
            sites = [s for s in sites if s.domain == normalise_domain(options["site"])]
            if not sites:
                raise CommandError(f"No site {options['site']!r}.")
        total = archive.ArchiveResult()
        for site in tqdm(sites, unit="site", desc="archive", file=self.stderr):
            result = archive.archive_pending(force=True, sites=[site])
            total.events += result.events
            total.files += result.files
            total.bytes += result.bytes
        per_event = total.bytes / total.events if total.events else 0
        self.stdout.write(
            f"archived {total.events:,} events in {total.files:,} files, {total.bytes:,} bytes "
            f"({per_event:.1f} bytes/event)."
        )
        if options["compact"]:
            compacted = archive.compact(sites=sites)
            self.stdout.write(f"compacted {compacted.batches:,} batches into {compacted.hours:,} hour files.")
