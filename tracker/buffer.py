"""Where accepted hits wait for the pipeline: a Redis stream, the request itself, or a spool.

- REDIS_URL unset (embedded mode): the batch is processed inline, in the request.
- REDIS_URL set: hits are appended to a stream that Celery workers read through a consumer
  group; a batch is acknowledged only after its transaction has committed.
- Redis configured but unreachable: hits are written to the SpooledHit table and drained
  into the pipeline later.

Accepted means durable: push() either puts every hit somewhere that survives a crash or
raises BufferUnavailable, and a full stream refuses new hits rather than trimming old ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction

from tracker import metrics, pipeline
from tracker.connections import redis_client, stream_mode
from tracker.ingest.hits import Hit
from tracker.models import SpooledHit

logger = logging.getLogger(__name__)

PAYLOAD_FIELD = b"h"
# Appends every payload only if the stream has room for all of them, and counts them as accepted in the
# metrics hash (KEYS[2]); returns -1 when full.
PUSH_SCRIPT = """
if redis.call('XLEN', KEYS[1]) + #ARGV - 1 > tonumber(ARGV[1]) then return -1 end
for i = 2, #ARGV do redis.call('XADD', KEYS[1], '*', 'h', ARGV[i]) end
redis.call('HINCRBY', KEYS[2], 'accepted', #ARGV - 1)
return #ARGV - 1
"""
PUSH_SCRIPT_SHA = hashlib.sha1(PUSH_SCRIPT.encode(), usedforsecurity=False).hexdigest()
# A batch whose database connection was lost (a restart, a failover, a terminated backend) is
# stored again on a new connection, this many times in all, before it is left for later.
STORE_ATTEMPTS = 3
STORE_RETRY_PAUSE = 0.2  # seconds, times the attempt number

T = TypeVar("T")


class BufferUnavailable(Exception):
    """No durable place could take the hits; the client should retry later."""

    retry_after = 30


class BufferFull(BufferUnavailable):
    """The stream holds BUFFER_MAX_LENGTH unprocessed hits."""

    retry_after = 60


def push(hits: list[Hit], *, inline: bool = False) -> None:
    """Make the hits durable, or process them at once (`inline`, and always without Redis); raise
    BufferUnavailable if neither can be done. The hits must hold no client address any more."""
    if not hits:
        return
    if inline or not stream_mode():
        try:
            result = pipeline.process_batch(hits)
        except DatabaseError as exc:
            raise BufferUnavailable("the database is unavailable") from exc
        metrics.record(metrics.batch_counts(result, accepted=len(hits)))
        return
    payloads = [hit.to_buffer() for hit in hits]
    try:
        _stream_push(payloads)
    except BufferFull:
        raise
    except redis.RedisError as exc:
        # Unreachable, timed out, or refusing writes (out of memory): the spool takes over. A
        # timeout may hide a completed write; the pipeline's uuid check absorbs that duplicate.
        logger.warning("Redis cannot take %d hits (%s); spooling them to the database", len(payloads), exc)
        spool(payloads)


def _stream_push(payloads: list[bytes]) -> None:
    client = redis_client(settings.REDIS_URL)
    args = (settings.BUFFER_STREAM, metrics.counters_key(), settings.BUFFER_MAX_LENGTH, *payloads)
    try:
        added = client.evalsha(PUSH_SCRIPT_SHA, 2, *args)
    except redis.exceptions.NoScriptError:  # first push since Redis started
        added = client.eval(PUSH_SCRIPT, 2, *args)
    if added == -1:
        raise BufferFull("the event stream is full")


def spool(payloads: list[bytes]) -> None:
    try:
        SpooledHit.objects.bulk_create([SpooledHit(payload=p) for p in payloads])
    except DatabaseError as exc:
        raise BufferUnavailable("neither Redis nor the database is reachable") from exc


# --- draining -----------------------------------------------------------------------------------


def _store_reconnecting(store: Callable[[], T]) -> T:
    """Run a batch's transaction; when its connection is lost, close it and run it again.

    A lost connection fails the whole transaction, so nothing of the attempt was committed,
    or (a connection lost during COMMIT) all of it, which the uuid check turns into a no-op.
    Retrying here stores the batch at once instead of leaving it pending until another
    worker claims it after BUFFER_CLAIM_IDLE_MS. The last attempt's error is raised.
    """
    for attempt in range(1, STORE_ATTEMPTS):
        try:
            return store()
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block:  # an outer transaction is lost with it: not ours to retry
                raise
            logger.warning("database connection lost while storing a batch (%s); retrying on a new one", exc)
            connection.close()
            time.sleep(STORE_RETRY_PAUSE * attempt)
    return store()


def consumer_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def ensure_group(client: redis.Redis) -> None:
    """Create the consumer group from the stream's start, so nothing pushed earlier is skipped."""
    try:
        client.xgroup_create(settings.BUFFER_STREAM, settings.BUFFER_GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _decode(entries: list[tuple[bytes, dict[bytes, bytes] | None]]) -> tuple[list[bytes], list[Hit]]:
    ids: list[bytes] = []
    hits: list[Hit] = []
    for entry_id, fields in entries:
        ids.append(entry_id)
        if not fields or PAYLOAD_FIELD not in fields:
            continue
        try:
            hits.append(Hit.from_buffer(fields[PAYLOAD_FIELD]))
        except (ValueError, TypeError, KeyError):
            logger.error("skipping undecodable stream entry %s", entry_id)
    return ids, hits


def drain_stream(
    max_events: int | None = None,
    consumer: str | None = None,
    *,
    block_ms: int | None = None,
    client: redis.Redis | None = None,
) -> int:
    """Process one batch from the stream; return how many entries it held (0: nothing to do).

    Entries left pending by a dead worker for BUFFER_CLAIM_IDLE_MS are claimed first and
    replayed, then this worker's own unacknowledged ones; the uuid check in the pipeline makes
    a replay store nothing twice. A lost database connection is retried on a new one.
    With `block_ms`, an empty stream is waited on that long for new entries (XREADGROUP BLOCK),
    on `client`, whose socket timeout must outlast the wait (tracker.connections.blocking_client).
    """
    client = client or redis_client(settings.REDIS_URL)
    ensure_group(client)
    count = max_events or settings.BUFFER_BATCH_SIZE
    consumer = consumer or consumer_name()
    stream, group = settings.BUFFER_STREAM, settings.BUFFER_GROUP
    _, entries, _ = client.xautoclaim(
        stream, group, consumer, min_idle_time=settings.BUFFER_CLAIM_IDLE_MS, start_id="0-0", count=count
    )
    # "0" reads this consumer's own unacknowledged entries: a batch it could not store (its
    # database connection was lost every attempt) is replayed by its next drain, not left
    # until another worker claims it. ">" reads new entries.
    for start in ("0", ">"):
        if entries:
            break
        block = block_ms if start == ">" else None
        response: Any = client.xreadgroup(group, consumer, {stream: start}, count=count, block=block)
        entries = response[0][1] if response else []
    if not entries:
        return 0
    started = time.perf_counter()
    ids = [entry_id for entry_id, _ in entries]
    # Decoded afresh for each attempt: a failed attempt has already enriched the records.
    result = _store_reconnecting(lambda: pipeline.process_batch(_decode(entries)[1]))
    with client.pipeline(transaction=False) as pipe:
        pipe.xack(stream, group, *ids)
        pipe.xdel(stream, *ids)
        metrics.queue_counts(pipe, metrics.batch_counts(result))
        pipe.execute()
    logger.info(
        "drained %d entries: stored %d, dropped %s, %.0f ms",
        len(ids),
        result.stored,
        {str(reason): n for reason, n in result.dropped.items()},
        (time.perf_counter() - started) * 1000,
    )
    return len(ids)


def drain_spool(max_events: int | None = None) -> int:
    """Process one batch of spooled hits and delete them in the same transaction."""
    count = max_events or settings.SPOOL_BATCH_SIZE
    started = time.perf_counter()
    rows, result = _store_reconnecting(lambda: _drain_spooled(count))
    if rows:
        # Spooled hits were not counted when accepted: Redis could not be reached then.
        metrics.record(metrics.batch_counts(result, accepted=rows))
        logger.info(
            "drained %d spooled hits: stored %d, dropped %s, %.0f ms",
            rows,
            result.stored,
            {str(reason): n for reason, n in result.dropped.items()},
            (time.perf_counter() - started) * 1000,
        )
    return rows


def _drain_spooled(count: int) -> tuple[int, pipeline.BatchResult]:
    """Store up to `count` spooled hits and delete their rows, in one transaction; return rows and result."""
    with transaction.atomic():
        rows = list(
            SpooledHit.objects.select_for_update(skip_locked=True).order_by("id").values_list("id", "payload")[:count]
        )
        if not rows:
            return 0, pipeline.BatchResult()
        hits = []
        for row_id, payload in rows:
            try:
                hits.append(Hit.from_buffer(bytes(payload)))
            except (ValueError, TypeError, KeyError):
                logger.error("skipping undecodable spooled hit %s", row_id)
        result = pipeline.process_batch(hits)
        SpooledHit.objects.filter(id__in=[row_id for row_id, _ in rows]).delete()
    return len(rows), result


def _repeat(drain: Callable[[], int], seconds: float | None) -> int:
    """Call drain until it finds nothing or `seconds` (default BUFFER_DRAIN_SECONDS) pass; return the sum."""
    deadline = time.monotonic() + (seconds if seconds is not None else settings.BUFFER_DRAIN_SECONDS)
    total = 0
    while time.monotonic() < deadline:
        processed = drain()
        if processed == 0:
            break
        total += processed
    return total


def drain_for(seconds: float | None = None) -> int:
    """Drain stream batches for up to `seconds`; return the number of entries processed."""
    if not stream_mode():
        return 0
    consumer = consumer_name()
    # Redis unreachable: the drain below finds that too, and says so.
    with contextlib.suppress(redis.RedisError):
        metrics.worker_seen(consumer)

    def drain_or_stop() -> int:
        try:
            return drain_stream(consumer=consumer)
        except (redis.ConnectionError, redis.TimeoutError):
            logger.warning("Redis is unreachable; the stream will be drained later")
            return 0
        except (OperationalError, InterfaceError) as exc:
            # The batch stays pending; this worker or another replays it once the database is back.
            logger.warning("the database is unreachable (%s); the stream will be drained later", exc)
            return 0

    return _repeat(drain_or_stop, seconds)


def drain_spool_for(seconds: float | None = None) -> int:
    """Drain spooled hits for up to `seconds`; return the number processed."""

    def drain_or_stop() -> int:
        try:
            return drain_spool()
        except (OperationalError, InterfaceError) as exc:
            logger.warning("the database is unreachable (%s); the spool will be drained later", exc)
            return 0

    return _repeat(drain_or_stop, seconds)


def backlog() -> dict[str, int]:
    """Return how many hits wait in the stream and in the spool (for health checks and tests)."""
    waiting = {"spool": SpooledHit.objects.count(), "stream": 0}
    if stream_mode():
        waiting["stream"] = int(redis_client(settings.REDIS_URL).xlen(settings.BUFFER_STREAM))
    return waiting
