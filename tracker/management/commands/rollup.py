"""Roll up completed and changed days of every site (or one); safe to run any time, a re-run is a no-op."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from sites.models import Site, normalise_domain
from tracker import rollups

ANALYZE_AFTER_ROWS = 100_000


class Command(BaseCommand):
    help = "Roll up each site's completed local days and the days late events changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", help="Domain of one site (default: every site)")

    def handle(self, *args: Any, **options: Any) -> None:
        sites = Site.objects.all()
        if options["site"]:
            sites = sites.filter(domain=normalise_domain(options["site"]))
            if not sites:
                raise CommandError(f"No site {options['site']!r}.")
        written = 0
        for site in sites:
            started = time.perf_counter()

            def progress(days: Iterator[date], total: int, domain: str = site.domain) -> Iterator[date]:
                return iter(tqdm(days, total=total, unit="day", desc=f"rollup {domain}", file=self.stderr))

            result = rollups.roll_up_site(site, progress=progress)
            written += result.rows
            seconds = time.perf_counter() - started
            if result.days:
                self.stdout.write(
                    f"{site.domain}: rolled up {result.days} days, {result.events:,} events into "
                    f"{result.rows:,} rows in {seconds:.1f} s ({result.events / max(seconds, 1e-9):,.0f} events/s)."
                )
            else:
                self.stdout.write(f"{site.domain}: up to date.")
        if written >= ANALYZE_AFTER_ROWS:
            # After a backfill the planner's statistics lag far behind until autovacuum catches up.
            rollups.analyze_rollups()
