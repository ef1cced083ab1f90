"""Copy the database's events into the configured event store (EVENT_STORE), with a progress bar."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from tqdm import tqdm

from sites.models import Site, normalise_domain
from tracker.models import Event
from tracker.store import event_store
from tracker.store.backfill import copy_site_events
from tracker.store.direct_copy import connection_parameters, copy_site_events_directly


class Command(BaseCommand):
    help = (
        "Copy every site's events and visits (or one site's) from the database into the event store; "
        "a re-run copies only what is missing, so an interrupted copy resumes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to-store", action="store_true", required=True, help="Copy into the store EVENT_STORE configures"
        )
        parser.add_argument("--site", help="Domain of one site (default: every site)")
        parser.add_argument("--chunk-size", type=int, default=10_000, help="Events read and written at a time")
        parser.add_argument(
            "--direct",
            action="store_true",
            help="Let the store read PostgreSQL itself, a month at a time (much faster; it must reach the database)",
        )
        parser.add_argument(
            "--database-address", help="host:port where the store reaches PostgreSQL, if not Django's HOST and PORT"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        store = event_store()
        if store is None:
            raise CommandError("EVENT_STORE is db: set it to the ClickHouse store to copy into.")
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.")
        if options["direct"] and connection.vendor != "postgresql":
            raise CommandError("--direct copies from PostgreSQL; this database is not.")
        store.migrate()
        sites = Site.objects.order_by("id")
        if options["site"]:
            sites = sites.filter(domain=normalise_domain(options["site"]))
            if not sites:
                raise CommandError(f"No site {options['site']!r}.")
        for site in sites:
            started = time.perf_counter()
            total = Event.objects.filter(site_id=site.id).count()
            with tqdm(total=total, unit="event", desc=f"copy {site.domain}", file=self.stderr, unit_scale=True) as bar:
                if options["direct"]:
                    database = connection_parameters(connection.settings_dict, options["database_address"])
                    result = copy_site_events_directly(store, site, database, progress=bar.update)
                else:
                    result = copy_site_events(store, site, chunk_size=options["chunk_size"], progress=bar.update)
            seconds = time.perf_counter() - started
            self.stdout.write(
                f"{site.domain}: {result.copied:,} of {result.read:,} events copied "
                f"({result.read - result.copied:,} were there already) in {seconds:.1f} s."
            )
