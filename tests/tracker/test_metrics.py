"""The write side's counters: what a batch adds, where the counts live (this process, or Redis for every
process), and the workers' heartbeat."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.factories import SiteFactory
from tests.tracker.test_buffer import REFUSING_REDIS, make_hits
from tracker import buffer, metrics
from tracker.ingest.hits import DropReason
from tracker.pipeline import BatchResult

pytestmark = pytest.mark.django_db(transaction=True)

BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def test_batch_counts_name_every_counter():
    result = BatchResult(received=5, stored=3, dropped=Counter({DropReason.BOT: 2}))
    result.step_seconds["parse_ua"] = 0.25
    assert metrics.batch_counts(result, accepted=5) == {
        "stored": 3,
        "batches": 1,
        "accepted": 5,
        "dropped:bot": 2,
        "step_seconds:parse_ua": 0.25,
    }


def test_inline_push_counts_in_this_process(settings):
    settings.REDIS_URL = ""
    site = SiteFactory()
    hits = make_hits(site, 4)
    hits[0].user_agent = BOT
    buffer.push(hits)
    buffer.push(hits[1:2])  # a retry: stored once, dropped as a duplicate
    counters = metrics.read_counters()
    assert counters["accepted"] == 5
    assert counters["stored"] == 3
    assert counters["dropped:bot"] == 1
    assert counters["dropped:duplicate"] == 1
    assert counters["batches"] == 2
    assert counters["step_seconds:parse_ua"] > 0


def test_stream_counts_accepted_on_push_and_stored_on_acknowledgement(stream_mode, settings):
    hits = make_hits(SiteFactory(), 6)
    buffer.push(hits)
    assert metrics.read_counters() == {"accepted": 6.0}
    buffer.drain_stream()
    counters = metrics.read_counters()
    batches = len({h.partition for h in hits})  # one per partition the visitors fall in
    assert (counters["accepted"], counters["stored"], counters["batches"]) == (6, 6, batches)
    assert metrics.PROCESS_COUNTS.read() == {}, "nothing is kept in the process with Redis"


def test_spooled_hits_are_counted_as_accepted_when_drained(settings):
    """Redis was unreachable when they were accepted, so they are counted when they reach the pipeline."""
    settings.REDIS_URL = REFUSING_REDIS
    buffer.push(make_hits(SiteFactory(), 3))
    settings.REDIS_URL = ""
    buffer.drain_spool()
    assert metrics.read_counters()["accepted"] == 3


def test_recording_never_fails_a_batch_when_redis_is_gone(settings, caplog):
    settings.REDIS_URL = REFUSING_REDIS
    metrics.record({"stored": 1})
    assert "could not record pipeline counts" in caplog.text


def test_a_draining_worker_is_seen(stream_mode, settings):
    buffer.drain_for(seconds=1)
    seen = metrics.workers_last_seen()
    assert list(seen) == [buffer.consumer_name()]


def test_workers_unseen_for_a_day_are_forgotten(stream_mode):
    metrics.worker_seen("old", now=1_000_000.0)
    metrics.worker_seen("new", now=1_000_000.0 + metrics.WORKER_MEMORY_SECONDS + 1)
    assert set(metrics.workers_last_seen()) == {"new"}
