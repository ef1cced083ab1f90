"""The production stack end to end: ingest → Redis stream → a real Celery worker → PostgreSQL.

Includes the faults the buffer promises to survive: a worker SIGKILLed mid-batch and
Redis unreachable at ingest time. Each asserts every accepted event is stored exactly once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from tests.factories import SiteFactory
from tests.tracker.test_buffer import REFUSING_REDIS, make_hits, pending
from tests.worker import WorkerProcess, wait_until
from tracker import buffer, pipeline, rollups, tasks
from tracker.models import Event, RollupState, Session, SpooledHit
from tracker.rollups import fill

pytestmark = pytest.mark.django_db(transaction=True)

UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/605.1.15"
)


@pytest.fixture
def worker(postgres, stream_mode, settings, tmp_path, redis_url) -> Iterator[WorkerProcess]:
    process = WorkerProcess(redis_url=redis_url, stream=settings.BUFFER_STREAM, workdir=tmp_path)
    yield process
    process.stop()


def event_count() -> int:
    return Event.objects.count()


def test_tasks_are_thin_wrappers(settings):
    """In embedded mode the drain task has nothing to read and returns at once."""
    settings.REDIS_URL = ""
    assert tasks.drain_buffer_task() == 0
    assert tasks.drain_spool_task() == 0


def test_rollup_task_rolls_up_every_site(settings):
    """Days with events before today get rolled up once; the next run has nothing to do."""
    events_at = timezone.now() - timedelta(days=2)
    for site in (SiteFactory(), SiteFactory()):
        hits = make_hits(site, 3)
        for hit in hits:
            hit.timestamp = events_at
        pipeline.process_batch(hits)
    # Every day from the events' day to the last completed one, per site.
    days = (rollups.local_day(timezone.now() - fill.GRACE, "UTC") - events_at.date()).days
    assert tasks.rollup_task() == 2 * days
    assert tasks.rollup_task() == 0
    assert RollupState.objects.count() == 2


def test_post_reaches_postgres_through_a_real_worker(client, worker):
    site = SiteFactory(domain="stack.example")
    worker.start()
    for i in range(50):
        body = {"d": site.domain, "n": "pageview", "u": f"https://stack.example/p/{i % 5}", "r": "https://t.co/x"}
        response = client.post(
            "/api/event",
            data=json.dumps(body),
            content_type="text/plain",
            headers={"User-Agent": UA},
            REMOTE_ADDR="192.0.2.7",
        )
        assert response.status_code == 202
    assert wait_until(lambda: event_count() == 50, timeout=60), worker.log_tail()
    event = Event.objects.first()
    assert event is not None
    assert (event.browser, event.os, event.referrer_source) == ("Safari", "macOS", "Twitter")
    assert Session.objects.count() == 1
    assert Session.objects.get().pageviews == 50
    assert wait_until(lambda: buffer.backlog()["stream"] == 0, timeout=10)


def test_worker_killed_mid_batch_loses_and_duplicates_nothing(worker, stream_mode, settings):
    """SIGKILL while a batch is read but not acknowledged; a restarted worker replays it."""
    site = SiteFactory()
    hits = make_hits(site, 30_000, visitors=500)
    for start in range(0, len(hits), 1000):
        buffer.push(hits[start : start + 1000])
    pending_at_kill = 0

    buffer.ensure_group(stream_mode)

    for _attempt in range(3):
        worker.start()
        # Kill while a batch has been read but not acknowledged, after some batches committed.
        mid_batch = wait_until(lambda: pending() > 0 and 0 < event_count() < len(hits), timeout=60, interval=0.005)
        assert mid_batch, worker.log_tail()
        worker.kill()
        pending_at_kill = pending()
        if pending_at_kill or event_count() == len(hits):
            break
    assert pending_at_kill > 0, "the kill never landed inside a batch"
    assert event_count() < len(hits)
    worker.start()
    assert wait_until(lambda: event_count() == len(hits), timeout=120, interval=0.2), worker.log_tail()
    assert wait_until(lambda: pending() == 0, timeout=30)
    assert {str(u) for u in Event.objects.values_list("uuid", flat=True)} == {h.uuid for h in hits}
    # Sessions counted each event once, replays included.
    assert Session.objects.aggregate(n=Sum("pageviews"))["n"] == len(hits)


def test_redis_unreachable_spools_and_the_worker_drains_it(client, worker, settings):
    """Ingest cannot reach Redis: 202 anyway, hits wait in the spool, the worker's beat drains them."""
    site = SiteFactory(domain="spool.example")
    settings.REDIS_URL = REFUSING_REDIS  # this process only; the worker still has Redis
    ids = [str(uuid.uuid4()) for _ in range(40)]
    for event_id in ids:
        body = {"domain": site.domain, "name": "pageview", "url": "https://spool.example/", "id": event_id}
        response = client.post("/api/event", data=json.dumps(body), content_type="text/plain")
        assert response.status_code == 202
    assert SpooledHit.objects.count() == 40
    worker.start()
    assert wait_until(lambda: SpooledHit.objects.count() == 0 and event_count() == 40, timeout=60), worker.log_tail()
    assert {str(u) for u in Event.objects.values_list("uuid", flat=True)} == set(ids)
