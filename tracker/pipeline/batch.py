"""A batch through the pipeline: every hit through the steps, then one transaction that assigns
visits, inserts the events and marks the rollup days they change.

Idempotent on the event uuid: replaying a batch (a worker died before acknowledging it, a client
retried) stores nothing twice and counts nothing twice in visits.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC

from django.db import transaction

from sites.models import Site
from tracker import rollups
from tracker.ingest.hits import DropReason, Hit
from tracker.pipeline import locks, sessions, storage
from tracker.pipeline.steps import STEPS, Step, Timings, run_steps
from tracker.store import event_store

logger = logging.getLogger(__name__)


@dataclass
class BatchResult:
    received: int = 0
    stored: int = 0
    dropped: Counter[DropReason] = field(default_factory=Counter)
    drops: Counter[storage.DropKey] = field(default_factory=Counter)  # per site, hour and reason
    step_seconds: Timings = field(default_factory=lambda: defaultdict(float))


def _known_sites(hits: Sequence[Hit]) -> set[int]:
    """The sites of these hits that exist (a site deleted since its hits were accepted does not)."""
    return set(Site.objects.filter(id__in={h.site_id for h in hits}).values_list("id", flat=True))


def _drop(hit: Hit, reason: DropReason, result: BatchResult, known: set[int]) -> None:
    """Count a dropped hit: in the batch's result, and per site and hour for its owners to see."""
    result.dropped[reason] += 1
    if hit.site_id in known:
        hour = hit.timestamp.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        result.drops[hit.site_id, hour, reason.value] += 1


def _drop_duplicates(hits: list[Hit], result: BatchResult, known: set[int]) -> list[Hit]:
    """Drop retries and replays: uuids seen earlier in the batch or already stored."""
    stored = storage.existing_event_uuids([h.uuid for h in hits])
    kept: list[Hit] = []
    for hit in hits:
        if hit.uuid in stored:
            _drop(hit, DropReason.DUPLICATE, result, known)
        else:
            stored.add(hit.uuid)
            kept.append(hit)
    return kept


def _store(enriched: list[Hit], dropped: list[Hit], result: BatchResult) -> None:
    """Store enriched hits: sessions upserted, events inserted, rollup days and drops counted, in one transaction.

    `dropped` are the hits the steps dropped, counted here for their sites.
    """
    if not enriched and not dropped:
        return
    with transaction.atomic():
        locks.lock_batch(enriched, dropped)
        known = _known_sites([*enriched, *dropped])
        for hit in dropped:
            _drop(hit, hit.drop or DropReason.BOT, result, known)
        for hit in enriched:
            if hit.site_id not in known:
                _drop(hit, DropReason.UNKNOWN_SITE, result, known)
        enriched = _drop_duplicates([h for h in enriched if h.site_id in known], result, known)
        storage.add_drop_counts(result.drops)
        started = time.perf_counter()
        visits = sessions.assign_sessions(enriched)
        result.step_seconds["assign_session"] += time.perf_counter() - started
        started = time.perf_counter()
        storage.insert_events(enriched)
        rollups.mark_dirty(visits)
        result.step_seconds["store_events"] += time.perf_counter() - started
        store = event_store()
        if store is not None:
            started = time.perf_counter()
            store.insert_batch(enriched, visits)
            result.step_seconds["event_store"] += time.perf_counter() - started
        result.stored = len(enriched)


def store_enriched(hits: Sequence[Hit]) -> BatchResult:
    """Store hits that went through the steps before (events restored from the archive).

    The same path as process_batch after enrichment, under the same locks: stored uuids are
    skipped, visits are rebuilt or extended, and the rollup days they touch are marked dirty.
    """
    result = BatchResult(received=len(hits))
    _store(list(hits), [], result)
    return result


def process_batch(hits: Sequence[Hit], *, steps: Sequence[Step] = STEPS) -> BatchResult:
    """Enrich a batch through the steps and store it: sessions upserted and events inserted in one transaction."""
    result = BatchResult(received=len(hits))
    enriched: list[Hit] = []
    dropped: list[Hit] = []
    for hit in hits:
        if hit.drop is None:  # else dropped at the edge, counted with the others
            hit = run_steps(hit, steps, result.step_seconds)
        (enriched if hit.drop is None else dropped).append(hit)
    _store(enriched, dropped, result)
    logger.debug(
        "batch received=%d stored=%d dropped=%s",
        result.received,
        result.stored,
        dict(result.dropped) or "{}",
    )
    return result
