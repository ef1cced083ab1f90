"""Celery tasks: thin wrappers that call the service functions (imported inside, no cycles)."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def import_run_task(import_id: int) -> None:
    """Run an uploaded import (queued by the settings page)."""
    from imports.services import import_run_stored

    import_run_stored(import_id)
