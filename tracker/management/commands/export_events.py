"""Export a site's raw events as CSV, NDJSON or Parquet, streamed to a file or stdout, with a progress bar."""

from __future__ import annotations

import sys
import time
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from sites.selectors import site_by_domain
from tracker.lifecycle import export
from tracker.management.commands._dates import parse_bound


class Command(BaseCommand):
    help = "Export one site's raw events (every enriched field and the visit id, never an address)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", required=True, help="The site's domain")
        parser.add_argument("--format", choices=export.FORMATS, default="csv")
        parser.add_argument("--since", help="First local day (YYYY-MM-DD) or an ISO 8601 time, inclusive")
        parser.add_argument("--until", help="Last local day (YYYY-MM-DD, inclusive) or an ISO 8601 time, exclusive")
        parser.add_argument("--output", default="-", help="File to write (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        site = site_by_domain(options["site"])
        if site is None:
            raise CommandError(f"No site {options['site']!r}.")
        bounds = export.ExportRange(
            since=parse_bound(options["since"], site.timezone, end=False),
            until=parse_bound(options["until"], site.timezone, end=True),
        )
        events = export.events_for_export(site, bounds)
        total = events.count()
        started = time.perf_counter()
        bar = tqdm(total=total, unit="event", desc=f"export {site.domain}", file=self.stderr, unit_scale=True)

        def counted() -> Any:
            for row in export.rows(site, events):
                bar.update()
                yield row

        output: BinaryIO = sys.stdout.buffer if options["output"] == "-" else open(options["output"], "wb")  # noqa: SIM115
        try:
            for piece in export.stream_format(options["format"], counted()):
                output.write(piece)
        finally:
            bar.close()
            if output is not sys.stdout.buffer:
                output.close()
        seconds = time.perf_counter() - started
        self.stderr.write(f"{site.domain}: exported {total:,} events in {seconds:.1f} s.")
