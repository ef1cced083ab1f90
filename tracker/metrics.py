"""Counts of the write side, for the metrics endpoint: events accepted, stored and dropped by reason,
pipeline batches and the seconds each step took, and when each worker last read the stream.

With Redis the counts live in a hash beside the stream and are added in the round trips the work
makes anyway (the push script, the acknowledgement of a batch). Every web and worker process, on
any machine, adds to the one set of counters that a scrape reads: no per-process registry, no
shared directory, nothing lost when a process restarts. In the embedded mode (no Redis) the
pipeline runs in the web process, so the counts are kept in that process (`make run` serves with
one); they start again from zero when it restarts, as Prometheus counters may.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

import orjson
import redis
from django.conf import settings

from tracker.connections import redis_client, stream_mode
from tracker.pipeline import BatchResult

logger = logging.getLogger(__name__)

ACCEPTED = "accepted"
STORED = "stored"
BATCHES = "batches"
DROPPED_PREFIX = "dropped:"
STEP_PREFIX = "step_seconds:"
# Workers that have not read the stream for a day are forgotten.
WORKER_MEMORY_SECONDS = 86_400


def counters_key() -> str:
    return f"{settings.BUFFER_STREAM}:metrics"


def workers_key() -> str:
    return f"{settings.BUFFER_STREAM}:workers"


def batches_key() -> str:
    return f"{settings.BUFFER_STREAM}:batches"


class ProcessCounts:
    """Counts kept in this process (the embedded mode); the inline pipeline runs in request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, counts: Mapping[str, float]) -> None:
        with self._lock:
            self._counts.update(counts)

    def read(self) -> dict[str, float]:
        with self._lock:
            return dict(self._counts)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


# The one mutable module global here: per-process counts exist once per process by definition.
PROCESS_COUNTS = ProcessCounts()


def batch_counts(result: BatchResult, *, accepted: int = 0) -> dict[str, float]:
    """The counter increments one processed batch makes (`accepted`: hits it brings in that were not counted
    when pushed: inline ones, spooled ones)."""
    counts: dict[str, float] = {STORED: result.stored, BATCHES: 1}
    if accepted:
        counts[ACCEPTED] = accepted
    counts |= {DROPPED_PREFIX + str(reason): n for reason, n in result.dropped.items()}
    counts |= {STEP_PREFIX + step: seconds for step, seconds in result.step_seconds.items()}
    return counts


def queue_counts(pipe: redis.client.Pipeline, counts: Mapping[str, float]) -> None:
    """Add the increments to a Redis pipeline that is about to be sent anyway."""
    for name, value in counts.items():
        if value:
            pipe.hincrbyfloat(counters_key(), name, value)


def queue_last_batch(pipe: redis.client.Pipeline, stream: str, *, consumer: str, entries: int, seconds: float) -> None:
    """Note the stream partition's latest batch (for manage.py pipeline_status) in a pipeline about to be sent."""
    batch = {"at": time.time(), "consumer": consumer, "entries": entries, "seconds": seconds}
    pipe.hset(batches_key(), stream, orjson.dumps(batch))


def last_batches() -> dict[str, dict[str, Any]]:
    """The latest batch of each stream partition, by stream: when (Unix time), by whom, its entries and seconds."""
    raw: dict[bytes, bytes] = redis_client(settings.REDIS_URL).hgetall(batches_key())  # type: ignore[assignment]
    return {stream.decode(): orjson.loads(batch) for stream, batch in raw.items()}


def record(counts: Mapping[str, float]) -> None:
    """Add the increments: to Redis in stream mode, else to this process's counts. Never raises for Redis:
    a lost count is better than a lost batch."""
    if not stream_mode():
        PROCESS_COUNTS.add(counts)
        return
    try:
        with redis_client(settings.REDIS_URL).pipeline(transaction=False) as pipe:
            queue_counts(pipe, counts)
            pipe.execute()
    except redis.RedisError as exc:
        logger.warning("could not record pipeline counts (%s)", exc)


def read_counters() -> dict[str, float]:
    """Every counter by name (accepted, stored, batches, dropped:<reason>, step_seconds:<step>)."""
    if not stream_mode():
        return PROCESS_COUNTS.read()
    raw: dict[bytes, bytes] = redis_client(settings.REDIS_URL).hgetall(counters_key())  # type: ignore[assignment]
    return {name.decode(): float(value) for name, value in raw.items()}


def worker_seen(consumer: str, *, now: float | None = None) -> None:
    """Note that this worker is reading the stream now (the readiness check's heartbeat)."""
    now = time.time() if now is None else now
    with redis_client(settings.REDIS_URL).pipeline(transaction=False) as pipe:
        pipe.zadd(workers_key(), {consumer: now})
        pipe.zremrangebyscore(workers_key(), 0, now - WORKER_MEMORY_SECONDS)
        pipe.execute()


def workers_last_seen() -> dict[str, float]:
    """When each worker last read the stream (Unix time), by consumer name."""
    entries: list[tuple[bytes, float]] = redis_client(settings.REDIS_URL).zrange(  # type: ignore[assignment]
        workers_key(), 0, -1, withscores=True
    )
    return {name.decode(): score for name, score in entries}
