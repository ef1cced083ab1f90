from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def migrate_event_store(sender: AppConfig, **kwargs: Any) -> None:
    """`manage.py migrate` also applies the event store's schema versions (nothing with EVENT_STORE=db)."""
    from tracker.store import event_store  # here: its models import only once the apps are loaded

    store = event_store()
    if store is not None:
        store.migrate()


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Collection"

    def ready(self) -> None:
        post_migrate.connect(migrate_event_store, sender=self)
