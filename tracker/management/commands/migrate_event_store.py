"""Create or upgrade the event store's tables (EVENT_STORE); `make run` runs it, a re-run does nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tracker.store import event_store


class Command(BaseCommand):
    help = "Apply the ClickHouse event store's schema versions not applied yet (nothing to do with EVENT_STORE=db)."

    def handle(self, *args: Any, **options: Any) -> None:
        store = event_store()
        if store is None:
            self.stdout.write("EVENT_STORE=db: events are kept in the database; nothing to migrate.")
            return
        applied = store.migrate(progress=lambda version: self.stdout.write(f"Applying schema version {version}…"))
        done = f"{len(applied)} version(s) applied" if applied else "up to date"
        self.stdout.write(f"Event store schema: {done}.")
