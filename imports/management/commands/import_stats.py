"""manage.py import_stats --site D --format F PATH: import another tool's history into a site; importing
the same file again changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from imports.formats import FORMATS
from imports.models import Import
from imports.services import import_create, import_run
from sites.models import Site


class Command(BaseCommand):
    help = "Import daily aggregates from Plausible CE, Umami or Google Analytics 4 exports into a site."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the exported file")
        parser.add_argument("--site", required=True, help="the site's domain")
        parser.add_argument("--format", required=True, choices=sorted(FORMATS), help="the tool that wrote the file")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        site = Site.objects.filter(domain=options["site"]).first()
        if site is None:
            raise CommandError(f"no site {options['site']!r}")
        try:
            file = path.open("rb")
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        with file:
            job, new = import_create(site_id=site.id, format=options["format"], file_name=path.name, file=file)
            if not new:
                self.stdout.write(f"{path.name} was imported into {site.domain} before (import {job.id}): no change")
                return
            with tqdm(total=100, unit="%", disable=options["no_progress"], file=self.stderr) as bar:
                summary = import_run(job, file, lambda done, total: bar.update(_percent(done, total) - bar.n))
                if summary is not None:
                    bar.update(100 - bar.n)
        if summary is None:
            raise CommandError(f"{path.name}: {Import.objects.get(id=job.id).error}")
        self.stdout.write(f"import {job.id} into {site.domain}: " + "\n".join(summary.lines()))


def _percent(done: int, total: int) -> int:
    return min(100, 100 * done // total) if total else 0
