"""Where accepted hits wait for the pipeline: a Redis stream, the request itself, or a spool.

- REDIS_URL unset (embedded mode): the batch is processed inline, in the request.
- REDIS_URL set: hits are appended to a stream that Celery workers read through a consumer
  group; a batch is acknowledged only after its transaction has committed.
- Redis configured but unreachable: hits are written to the SpooledHit table and drained
  into the pipeline later.

The stream is split into BUFFER_PARTITIONS partitions (`<BUFFER_STREAM>:p<n>`), one per visitor
partition (tracker.pipeline.locks): a worker leases a partition, reads a batch from it and stores
it, so workers store different visitors in parallel and never the same visitor at once. A stream
left by a version without partitions (`<BUFFER_STREAM>` itself) is read too, until it is empty;
its batches lock every partition.

Accepted means durable: push() either puts every hit somewhere that survives a crash or
raises BufferUnavailable, and a full stream refuses new hits rather than trimming old ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import random
import socket
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction

from tracker import metrics, pipeline
from tracker.connections import partition_streams, redis_client, stream_mode
from tracker.ingest.hits import Hit
from tracker.models import SpooledHit
from tracker.pipeline import locks

logger = logging.getLogger(__name__)

PAYLOAD_FIELD = b"h"
# Appends every payload to its partition only if the partitions (KEYS[2..]) have room for all of them
# together, and counts them as accepted in the metrics hash (KEYS[1]); returns -1 when full.
# ARGV: the most entries the partitions hold, the number of payloads, then per partition its number
# of payloads followed by them.
PUSH_SCRIPT = """
local total = 0
for i = 2, #KEYS do total = total + redis.call('XLEN', KEYS[i]) end
local n = tonumber(ARGV[2])
if total + n > tonumber(ARGV[1]) then return -1 end
local a = 3
for i = 2, #KEYS do
  local count = tonumber(ARGV[a])
  for j = a + 1, a + count do redis.call('XADD', KEYS[i], '*', 'h', ARGV[j]) end
  a = a + count + 1
end
redis.call('HINCRBY', KEYS[1], 'accepted', n)
return n
"""
PUSH_SCRIPT_SHA = hashlib.sha1(PUSH_SCRIPT.encode(), usedforsecurity=False).hexdigest()
# A batch whose database connection was lost (a restart, a failover, a terminated backend) is
# stored again on a new connection, this many times in all, before it is left for later.
STORE_ATTEMPTS = 3
STORE_RETRY_PAUSE = 0.2  # seconds, times the attempt number
# A worker's lease on a partition: a Redis key that expires, so a lease that was never released (its
# worker died, or lost Redis) frees itself. A batch outlasting it is still stored safely (its partition
# lock, tracker.pipeline.locks), only no longer alone.
LEASE_SECONDS = 10
RELEASE_SCRIPT = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

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
    partitions: list[list[bytes]] = [[] for _ in range(settings.BUFFER_PARTITIONS)]
    for hit in hits:
        # A hit that no partition covers (none come from the edge) goes to the first; its batch locks all.
        partitions[locks.partition_of(hit) or 0].append(hit.to_buffer())
    try:
        _stream_push(partitions)
    except BufferFull:
        raise
    except redis.RedisError as exc:
        # Unreachable, timed out, or refusing writes (out of memory): the spool takes over. A
        # timeout may hide a completed write; the pipeline's uuid check absorbs that duplicate.
        payloads = [payload for partition in partitions for payload in partition]
        logger.warning("Redis cannot take %d hits (%s); spooling them to the database", len(payloads), exc)
        spool(payloads)


def _stream_push(partitions: list[list[bytes]]) -> None:
    """Append each partition's payloads to its stream in one round trip (a script: all or none)."""
    client = redis_client(settings.REDIS_URL)
    keys = [metrics.counters_key(), *partition_streams()]
    args: list[Any] = [settings.BUFFER_MAX_LENGTH, sum(map(len, partitions))]
    for payloads in partitions:
        args += [len(payloads), *payloads]
    try:
        added = client.evalsha(PUSH_SCRIPT_SHA, len(keys), *keys, *args)
    except redis.exceptions.NoScriptError:  # first push since Redis started
        added = client.eval(PUSH_SCRIPT, len(keys), *keys, *args)
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


def consumer_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def ensure_group(client: redis.Redis) -> None:
    """Create the consumer group of every partition from its start, so nothing pushed earlier is skipped."""
    with client.pipeline(transaction=False) as pipe:
        _create_groups(pipe)
        _raise_unless_busygroup(pipe.execute(raise_on_error=False))


def _create_groups(pipe: redis.client.Pipeline) -> None:
    for stream in partition_streams():
        pipe.xgroup_create(stream, settings.BUFFER_GROUP, id="0", mkstream=True)


def _raise_unless_busygroup(answers: list[Any]) -> None:
    """Raise the first error of the group creations that is not "the group exists already"."""
    for answer in answers:
        if isinstance(answer, Exception) and "BUSYGROUP" not in str(answer):
            raise answer


def _streams_to_read(client: redis.Redis, *, blocking: bool) -> tuple[list[str], dict[Any, Any]]:
    """Create the partitions' groups; return the streams to read (the partitions, and an earlier unpartitioned
    stream while it exists) and, for a blocking read, each one's last entry id so far. One round trip."""
    partitions, legacy = partition_streams(), settings.BUFFER_STREAM
    with client.pipeline(transaction=False) as pipe:
        _create_groups(pipe)
        pipe.exists(legacy)
        if blocking:
            for stream in partitions:
                pipe.xinfo_stream(stream)
        answers = pipe.execute(raise_on_error=False)
    _raise_unless_busygroup(answers[: len(partitions)])
    streams = [*partitions, legacy] if answers[len(partitions)] else partitions
    last_ids: dict[Any, Any] = {}
    for stream, info in zip(partitions, answers[len(partitions) + 1 :], strict=False):
        if isinstance(info, Exception):
            raise info
        last_ids[stream] = info["last-generated-id"]
    return streams, last_ids


def _read_batch(client: redis.Redis, stream: str, consumer: str, count: int) -> list[Any]:
    """Entries of the stream for this consumer: a dead worker's pending ones idle for BUFFER_CLAIM_IDLE_MS,
    else this consumer's own unacknowledged ones, else new ones."""
    group = settings.BUFFER_GROUP
    _, entries, _ = client.xautoclaim(
        stream, group, consumer, min_idle_time=settings.BUFFER_CLAIM_IDLE_MS, start_id="0-0", count=count
    )
    # "0" reads this consumer's own unacknowledged entries: a batch it could not store (its
    # database connection was lost every attempt) is replayed by its next drain, not left
    # until another worker claims it. ">" reads new entries.
    for start in ("0", ">"):
        if entries:
            break
        response: Any = client.xreadgroup(group, consumer, {stream: start}, count=count)
        entries = response[0][1] if response else []
    return entries


def _drain_partition(client: redis.Redis, stream: str, consumer: str, count: int) -> int:
    """Store one batch of the stream and acknowledge it; return how many entries it held."""
    entries = _read_batch(client, stream, consumer, count)
    if not entries:
        return 0
    started = time.perf_counter()
    ids = [entry_id for entry_id, _ in entries]
    # Decoded afresh for each attempt: a failed attempt has already enriched the records.
    result = _store_reconnecting(lambda: pipeline.process_batch(_decode(entries)[1]))
    seconds = time.perf_counter() - started
    # One transaction: Redis reads a long pipeline in pieces, and one killed between the acknowledgement
    # and the deletion would keep acknowledged entries in the stream for good (no reader gets them again).
    with client.pipeline(transaction=True) as pipe:
        pipe.xack(stream, settings.BUFFER_GROUP, *ids)
        pipe.xdel(stream, *ids)
        metrics.queue_counts(pipe, metrics.batch_counts(result))
        metrics.queue_last_batch(pipe, stream, consumer=consumer, entries=len(ids), seconds=seconds)
        pipe.execute()
    logger.info(
        "drained %d entries from %s: stored %d, dropped %s, %.0f ms",
        len(ids),
        stream,
        result.stored,
        {str(reason): n for reason, n in result.dropped.items()},
        seconds * 1000,
    )
    return len(ids)


def _lease(client: redis.Redis, stream: str, consumer: str) -> bool:
    """Become the stream partition's reader for up to LEASE_SECONDS, unless another worker is."""
    return bool(client.set(f"{stream}:lease", consumer, nx=True, ex=LEASE_SECONDS))


def _release(client: redis.Redis, stream: str, consumer: str) -> None:
    """End this worker's lease, if it still holds it; with Redis unreachable the lease expires by itself."""
    with contextlib.suppress(redis.RedisError):
        client.eval(RELEASE_SCRIPT, 1, f"{stream}:lease", consumer)


def drain_stream(
    max_events: int | None = None,
    consumer: str | None = None,
    *,
    block_ms: int | None = None,
    client: redis.Redis | None = None,
) -> int:
    """Go once round the partitions: from each one this worker can lease, store one batch of up to
    BUFFER_BATCH_SIZE entries, `max_events` in all; return how many entries were processed (0: nothing to do).

    A partition another worker reads at the moment is left to it. In each, entries left pending by a dead
    worker for BUFFER_CLAIM_IDLE_MS are claimed first and replayed, then this worker's own unacknowledged
    ones; the uuid check in the pipeline makes a replay store nothing twice. A lost database connection is
    retried on a new one. With `block_ms`, a round that found nothing waits up to that long for new
    entries (XREAD BLOCK) and goes round again when they come, on `client`, whose socket timeout must
    outlast the wait (tracker.connections.blocking_client).
    """
    client = client or redis_client(settings.REDIS_URL)
    consumer = consumer or consumer_name()
    streams, last_ids = _streams_to_read(client, blocking=block_ms is not None)
    left = max_events if max_events is not None else len(streams) * settings.BUFFER_BATCH_SIZE
    order = list(streams)
    first = random.randrange(len(order))  # workers start their rounds at different partitions
    total = 0
    for stream in order[first:] + order[:first]:
        if left <= 0:
            break
        if not _lease(client, stream, consumer):
            continue  # another worker reads it now
        try:
            drained = _drain_partition(client, stream, consumer, min(left, settings.BUFFER_BATCH_SIZE))
        finally:
            _release(client, stream, consumer)
        total += drained
        left -= drained
    if total == 0 and block_ms is not None and client.xread(last_ids, count=1, block=block_ms):
        return drain_stream(max_events, consumer, client=client)  # woken by new entries: once more round
    return total


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
        with redis_client(settings.REDIS_URL).pipeline(transaction=False) as pipe:
            for stream in [*partition_streams(), settings.BUFFER_STREAM]:
                pipe.xlen(stream)
            waiting["stream"] = sum(pipe.execute())
    return waiting
