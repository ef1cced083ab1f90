"""manage.py import_access_log --site D PATH [PATH...]: page views from nginx/Apache combined logs (gzip too)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from sites.selectors import site_by_domain
from tracker.access_log import AccessLogSummary, import_access_log


class Command(BaseCommand):
    help = (
        "Import access logs in the combined format (nginx's default, Apache's combined; plain or gzip) as page "
        "views through the pipeline. Oldest file first; re-importing a file stores nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", required=True, help="The site's domain")
        parser.add_argument("paths", nargs="+", help="Log files, oldest first; - reads standard input")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        site = site_by_domain(options["site"])
        if site is None:
            raise CommandError(f"No site {options['site']!r}.")
        missing = [p for p in options["paths"] if p != "-" and not Path(p).is_file()]
        if missing:
            raise CommandError(f"Not a file: {', '.join(missing)}")
        total = AccessLogSummary()
        for name in options["paths"]:
            with tqdm(unit="line", unit_scale=True, desc=name, disable=options["no_progress"], file=self.stderr) as bar:
                source = sys.stdin.buffer if name == "-" else Path(name)
                summary = import_access_log(site, source, progress=bar.update)
            self._report(name, summary)
            total.add(summary)
        if len(options["paths"]) > 1:
            self._report("all files", total)

    def _report(self, name: str, summary: AccessLogSummary) -> None:
        self.stdout.write(f"{name}: {summary.lines:,} lines read, {summary.imported:,} events imported")
        for reason, count in summary.skipped.most_common():
            lines = summary.samples.get(reason)
            where = f" (lines {', '.join(map(str, lines))}{', ...' if count > len(lines) else ''})" if lines else ""
            self.stdout.write(f"  skipped {count:,} {reason}{where}")
        if summary.error:
            self.stdout.write(self.style.WARNING(f"  {summary.error}"))
