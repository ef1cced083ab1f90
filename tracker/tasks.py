"""Celery tasks: thin wrappers that call the service functions (imported inside, no cycles)."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def drain_buffer_task() -> int:
    """Drain the event stream for up to BUFFER_DRAIN_SECONDS."""
    from tracker.buffer import drain_for

    return drain_for()


@shared_task(ignore_result=True)
def drain_spool_task() -> int:
    """Move hits spooled while Redis was down into the pipeline."""
    from tracker.buffer import drain_spool_for

    return drain_spool_for()


@shared_task(ignore_result=True)
def rotate_salts_task() -> int:
    from django.utils import timezone

    from tracker.pipeline.enrich.hashing import rotate_salts

    return rotate_salts(timezone.now())


@shared_task(ignore_result=True)
def rollup_task() -> int:
    """Roll up every site's completed and changed days; returns how many days were rolled up."""
    from tracker.rollups import roll_up_all

    return sum(result.days for result in roll_up_all())


@shared_task(ignore_result=True)
def archive_task() -> int:
    """Write batches of stored events to the archive once enough events or seconds gathered."""
    from tracker.lifecycle.archive import archive_pending

    return archive_pending().events


@shared_task(ignore_result=True)
def compact_archive_task() -> int:
    """Merge each finished hour's archive batches into one file per site and hour."""
    from tracker.lifecycle.archive import compact

    return compact().hours


@shared_task(ignore_result=True)
def retention_task() -> int:
    """Delete raw events and sessions past each site's retention, and archive files past the archive's."""
    from tracker.lifecycle.retention import apply_retention

    return sum(result.events for result in apply_retention())
