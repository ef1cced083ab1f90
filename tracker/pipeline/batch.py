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

from django.db import transaction

from sites.models import Site
from tracker import rollups
from tracker.ingest.hits import DropReason, Hit
from tracker.pipeline import sessions, storage
from tracker.pipeline.steps import STEPS, Step, Timings, run_steps

logger = logging.getLogger(__name__)


@dataclass
class BatchResult:
    received: int = 0
    stored: int = 0
    dropped: Counter[DropReason] = field(default_factory=Counter)
    step_seconds: Timings = field(default_factory=lambda: defaultdict(float))


def _drop_unknown_sites(hits: list[Hit], result: BatchResult) -> list[Hit]:
    """Drop hits of sites deleted since they were accepted."""
    known = set(Site.objects.filter(id__in={h.site_id for h in hits}).values_list("id", flat=True))
    kept = [h for h in hits if h.site_id in known]
    if len(kept) < len(hits):
        result.dropped[DropReason.UNKNOWN_SITE] += len(hits) - len(kept)
    return kept


def _drop_duplicates(hits: list[Hit], result: BatchResult) -> list[Hit]:
    """Drop retries and replays: uuids seen earlier in the batch or already stored."""
    stored = storage.existing_event_uuids([h.uuid for h in hits])
    kept: list[Hit] = []
    for hit in hits:
        if hit.uuid in stored:
            result.dropped[DropReason.DUPLICATE] += 1
        else:
            stored.add(hit.uuid)
            kept.append(hit)
    return kept


def _store(enriched: list[Hit], result: BatchResult) -> None:
    """Store enriched hits: sessions upserted, events inserted, rollup days marked, in one transaction."""
    if not enriched:
        return
    with transaction.atomic():
        sessions.lock_session_writes()
        enriched = _drop_duplicates(_drop_unknown_sites(enriched, result), result)
        started = time.perf_counter()
        visits = sessions.assign_sessions(enriched)
        result.step_seconds["assign_session"] += time.perf_counter() - started
        started = time.perf_counter()
        storage.insert_events(enriched)
        rollups.mark_dirty(visits)
        result.step_seconds["store_events"] += time.perf_counter() - started
        result.stored = len(enriched)


def store_enriched(hits: Sequence[Hit]) -> BatchResult:
    """Store hits that went through the steps before (events restored from the archive).

    The same path as process_batch after enrichment, under the same lock: stored uuids are
    skipped, visits are rebuilt or extended, and the rollup days they touch are marked dirty.
    """
    result = BatchResult(received=len(hits))
    _store(list(hits), result)
    return result


def process_batch(hits: Sequence[Hit], *, steps: Sequence[Step] = STEPS) -> BatchResult:
    """Enrich a batch through the steps and store it: sessions upserted and events inserted in one transaction."""
    result = BatchResult(received=len(hits))
    enriched: list[Hit] = []
    for hit in hits:
        hit = run_steps(hit, steps, result.step_seconds)
        if hit.drop is None:
            enriched.append(hit)
        else:
            result.dropped[hit.drop] += 1
    _store(enriched, result)
    logger.debug(
        "batch received=%d stored=%d dropped=%s",
        result.received,
        result.stored,
        dict(result.dropped) or "{}",
    )
    return result
