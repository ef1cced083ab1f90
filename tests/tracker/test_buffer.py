"""The buffer: inline processing, the Redis stream with its consumer group, and the spool."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import orjson
import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError, OperationalError, connection, connections
from django.db.models import Sum

from ops import readings
from tests.factories import TIME_ZERO, SiteFactory
from tracker import buffer, pipeline
from tracker.connections import partition_streams
from tracker.ingest.hits import Hit
from tracker.models import Event, Session, SpooledHit
from tracker.pipeline import storage

pytestmark = pytest.mark.django_db(transaction=True)

REFUSING_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def make_hits(site, count: int, *, visitors: int = 3) -> list[Hit]:
    hits = []
    for i in range(count):
        hit = Hit(
            uuid=str(uuid.uuid4()),
            site_id=site.id,
            name="pageview",
            timestamp=TIME_ZERO + timedelta(seconds=i),
            raw_url=f"https://{site.domain}/page/{i % 7}",
            user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
            ip=f"198.51.100.{i % visitors}",
        )
        hits.append(pipeline.pseudonymise(hit))
    return hits


def stored_uuids() -> set[str]:
    return {str(u) for u in Event.objects.values_list("uuid", flat=True)}


def waiting() -> int:
    """Entries in the stream's partitions, read or not."""
    reading = readings.stream_reading(now=time.time())
    return reading.length if reading else 0


def pending() -> int:
    """Entries of the stream's partitions read by a worker and not acknowledged."""
    reading = readings.stream_reading(now=time.time())
    return reading.pending if reading else 0


def read_as(client, consumer: str, count: int) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """Read up to `count` new entries from the partitions as `consumer`, which then leaves them pending."""
    buffer.ensure_group(client)
    entries: list[tuple[bytes, dict[bytes, bytes]]] = []
    for stream in partition_streams():
        response = client.xreadgroup(django_settings.BUFFER_GROUP, consumer, {stream: ">"}, count=count - len(entries))
        entries += response[0][1] if response else []
        if len(entries) == count:
            break
    return entries


def test_inline_mode_processes_in_the_call(settings):
    settings.REDIS_URL = ""
    hits = make_hits(SiteFactory(), 5)
    buffer.push(hits)
    assert stored_uuids() == {h.uuid for h in hits}


def test_inline_mode_database_failure_is_unavailable(settings, monkeypatch):
    settings.REDIS_URL = ""

    def broken(hits):
        raise DatabaseError("down")

    monkeypatch.setattr(pipeline, "process_batch", broken)
    with pytest.raises(buffer.BufferUnavailable):
        buffer.push(make_hits(SiteFactory(), 1))


def test_hit_with_an_address_is_never_buffered():
    hit = Hit(
        uuid=str(uuid.uuid4()), site_id=1, name="pageview", timestamp=TIME_ZERO, raw_url="https://a/", ip="1.2.3.4"
    )
    with pytest.raises(ValueError, match="pseudonymised"):
        hit.to_buffer()


def test_unreachable_redis_spools_then_drains(settings):
    """Redis down: hits wait in the database spool, and draining it stores each exactly once."""
    settings.REDIS_URL = REFUSING_REDIS
    hits = make_hits(SiteFactory(), 25)
    buffer.push(hits)
    assert SpooledHit.objects.count() == 25
    assert not Event.objects.exists()
    assert buffer.drain_spool(max_events=10) == 10
    assert buffer.drain_spool_for(seconds=5) == 15
    assert SpooledHit.objects.count() == 0
    assert stored_uuids() == {h.uuid for h in hits}


def test_spool_never_holds_the_address(settings):
    settings.REDIS_URL = REFUSING_REDIS
    buffer.push(make_hits(SiteFactory(), 3))
    for payload in SpooledHit.objects.values_list("payload", flat=True):
        assert b"198.51.100" not in bytes(payload)


def test_no_redis_and_no_database_is_unavailable(settings, monkeypatch):
    settings.REDIS_URL = REFUSING_REDIS

    def broken(*args, **kwargs):
        raise DatabaseError("down")

    monkeypatch.setattr(SpooledHit.objects, "bulk_create", broken)
    with pytest.raises(buffer.BufferUnavailable):
        buffer.push(make_hits(SiteFactory(), 1))


# --- Redis stream (needs Redis) ------------------------------------------------------------------


def test_stream_push_and_drain(stream_mode, settings):
    hits = make_hits(SiteFactory(), 30)
    buffer.push(hits)
    assert waiting() == 30
    assert not Event.objects.exists()
    assert buffer.drain_stream(max_events=20) == 20
    assert buffer.drain_for(seconds=5) == 10
    assert stored_uuids() == {h.uuid for h in hits}
    assert waiting() == 0
    assert buffer.backlog() == {"spool": 0, "stream": 0}


def test_full_stream_refuses_instead_of_trimming(stream_mode, settings):
    settings.BUFFER_MAX_LENGTH = 4
    site = SiteFactory()
    buffer.push(make_hits(site, 3))
    with pytest.raises(buffer.BufferFull):
        buffer.push(make_hits(site, 2))
    assert waiting() == 3


def test_batch_of_a_dead_consumer_is_claimed_and_replayed(stream_mode, settings):
    """A consumer that read a batch and died leaves it pending; a live one claims it."""
    settings.BUFFER_CLAIM_IDLE_MS = 0
    hits = make_hits(SiteFactory(), 10)
    buffer.push(hits)
    read_as(stream_mode, "dead-worker", 10)
    assert pending() == 10
    assert buffer.drain_stream(consumer="live-worker") == 10
    assert stored_uuids() == {h.uuid for h in hits}
    assert pending() == 0


def test_replay_of_a_committed_batch_counts_nothing_twice(stream_mode, settings):
    """A worker that committed but died before XACK: the replay stores and counts nothing again."""
    settings.BUFFER_CLAIM_IDLE_MS = 0
    hits = make_hits(SiteFactory(), 12, visitors=2)
    buffer.push(hits)
    entries = read_as(stream_mode, "dead-worker", 12)
    pipeline.process_batch([Hit.from_buffer(fields[b"h"]) for _, fields in entries])  # committed, no ack
    before = list(Session.objects.order_by("id").values_list("pageviews", "events", "last_seen"))
    assert buffer.drain_stream(consumer="live-worker") == 12
    assert Event.objects.count() == 12
    assert list(Session.objects.order_by("id").values_list("pageviews", "events", "last_seen")) == before
    assert sum(pageviews for pageviews, _, _ in before) == 12


def test_undecodable_entry_is_skipped_not_stuck(stream_mode, settings):
    hits = make_hits(SiteFactory(), 2)
    buffer.push(hits)
    stream_mode.xadd(partition_streams()[0], {"h": b"not json"})
    assert buffer.drain_stream() == 3
    assert stored_uuids() == {h.uuid for h in hits}
    assert waiting() == 0


def test_redis_refusing_writes_spools(stream_mode, settings, monkeypatch):
    """Redis up but refusing writes (e.g. out of memory): the spool takes the hits."""
    import redis

    def refuse(payloads):
        raise redis.ResponseError("OOM command not allowed when used memory > 'maxmemory'.")

    monkeypatch.setattr(buffer, "_stream_push", refuse)
    buffer.push(make_hits(SiteFactory(), 3))
    assert SpooledHit.objects.count() == 3


def test_push_reloads_the_script_after_a_redis_restart(stream_mode, settings):
    stream_mode.script_flush()
    buffer.push(make_hits(SiteFactory(), 2))
    assert waiting() == 2


# --- a lost database connection (needs PostgreSQL) -------------------------------------------------


@pytest.fixture
def terminate_own_backend(postgres):
    """Return a function that has PostgreSQL terminate this process's connection, as a failover would."""

    def terminate() -> None:
        pid = connection.connection.info.backend_pid
        side = connections.create_connection("default")
        try:
            with side.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        finally:
            side.close()

    yield terminate
    connection.close()


def lose_connection_in(monkeypatch, step: str, terminate, times: int = 1) -> list[int]:
    """Terminate the connection as storage.<step> starts, the first `times` calls; return the calls."""
    original = getattr(storage, step)
    calls: list[int] = []

    def losing(*args, **kwargs):
        calls.append(1)
        if len(calls) <= times:
            terminate()
        return original(*args, **kwargs)

    monkeypatch.setattr(storage, step, losing)
    return calls


@pytest.mark.parametrize("step", ["existing_event_uuids", "open_sessions", "update_sessions", "insert_events"])
def test_batch_whose_connection_was_lost_is_stored_again_at_once(
    stream_mode, settings, monkeypatch, terminate_own_backend, step
):
    """The worker reconnects and stores the batch itself; nothing waits for a claim, nothing counts twice."""
    site = SiteFactory()
    earlier = make_hits(site, 10, visitors=2)
    buffer.push(earlier)
    assert buffer.drain_stream() == 10
    hits = make_hits(site, 10, visitors=2)  # the same visits, extended
    buffer.push(hits)
    calls = lose_connection_in(monkeypatch, step, terminate_own_backend)
    assert buffer.drain_stream() == 10
    assert len(calls) == len({h.partition for h in hits}) + 1  # a batch per partition, the first one twice
    assert stored_uuids() == {h.uuid for h in earlier + hits}
    assert pending() == 0
    assert Session.objects.aggregate(n=Sum("pageviews"))["n"] == 20


def test_database_gone_for_every_attempt_leaves_the_batch_pending(
    stream_mode, settings, monkeypatch, terminate_own_backend
):
    """After STORE_ATTEMPTS the drain stops quietly; the same worker's next drain replays the batch.

    Another worker would only claim it after BUFFER_CLAIM_IDLE_MS.
    """
    monkeypatch.setattr(buffer, "STORE_RETRY_PAUSE", 0)
    hits = make_hits(SiteFactory(), 5, visitors=1)  # one partition
    buffer.push(hits)
    calls = lose_connection_in(monkeypatch, "insert_events", terminate_own_backend, times=buffer.STORE_ATTEMPTS)
    assert buffer.drain_for(seconds=5) == 0
    assert len(calls) == buffer.STORE_ATTEMPTS
    assert not Event.objects.exists()
    assert pending() == 5
    settings.BUFFER_CLAIM_IDLE_MS = 60_000
    assert buffer.drain_stream(consumer="another-worker") == 0
    assert buffer.drain_stream() == 5
    assert stored_uuids() == {h.uuid for h in hits}
    assert pending() == 0


def test_spooled_batch_whose_connection_was_lost_is_stored_again(settings, monkeypatch, terminate_own_backend):
    settings.REDIS_URL = REFUSING_REDIS
    hits = make_hits(SiteFactory(), 8)
    buffer.push(hits)
    calls = lose_connection_in(monkeypatch, "open_sessions", terminate_own_backend)
    assert buffer.drain_spool_for(seconds=5) == 8
    assert len(calls) == 2
    assert SpooledHit.objects.count() == 0
    assert stored_uuids() == {h.uuid for h in hits}


@pytest.mark.parametrize("step", ["open_sessions", "insert_events"])
def test_psycopg_errors_reach_callers_as_django_errors(settings, monkeypatch, terminate_own_backend, step):
    """COPY and the binary cursor bypass Django's cursor; their errors still arrive as DatabaseError."""
    settings.REDIS_URL = ""
    lose_connection_in(monkeypatch, step, terminate_own_backend)
    with pytest.raises(OperationalError):
        pipeline.process_batch(make_hits(SiteFactory(), 3))
    # So that inline ingest answers 503 buffer_unavailable, not 500.
    lose_connection_in(monkeypatch, step, terminate_own_backend)
    with pytest.raises(buffer.BufferUnavailable):
        buffer.push(make_hits(SiteFactory(), 3))


def test_a_hit_dropped_at_the_edge_crosses_the_stream_and_is_counted(stream_mode, settings):
    from sites.exclusions import exclusions_set
    from tracker.models import DropCount

    site = SiteFactory()
    exclusions_set(site=site, excluded_paths=[], allowed_hostnames=[], excluded_ip_ranges=["203.0.113.0/24"])
    kept, excluded = make_hits(site, 2)
    kept.ip, excluded.ip = "198.51.100.1", "203.0.113.1"
    buffer.push([pipeline.pseudonymise(kept), pipeline.pseudonymise(excluded)])
    assert buffer.drain_stream() == 2
    assert stored_uuids() == {kept.uuid}
    assert DropCount.objects.get().reason == "excluded_address"


# --- partitions ------------------------------------------------------------------------------------


def test_a_push_sends_each_visitor_to_its_partition(stream_mode, settings):
    hits = make_hits(SiteFactory(), 40, visitors=12)
    buffer.push(hits)
    for partition, stream in enumerate(partition_streams()):
        entries = stream_mode.xrange(stream)
        assert {Hit.from_buffer(fields[b"h"]).partition for _, fields in entries} <= {partition}
    assert sum(stream_mode.xlen(stream) for stream in partition_streams()) == 40
    assert not stream_mode.exists(settings.BUFFER_STREAM)  # the unpartitioned stream is not written any more


def test_the_stream_of_a_version_without_partitions_is_drained_too(stream_mode, settings):
    """Hits buffered before partitions (no partition, both days' hashes), some read by a worker that died; the
    same visitors go on in the partitions. Everything is stored once, in one visit per visitor."""
    settings.BUFFER_CLAIM_IDLE_MS = 0
    site = SiteFactory()
    earlier, later = make_hits(site, 30, visitors=3)[:20], make_hits(site, 30, visitors=3)[20:]
    legacy = settings.BUFFER_STREAM
    for hit in earlier:
        old = orjson.loads(hit.to_buffer())
        del old["partition"]
        stream_mode.xadd(legacy, {"h": orjson.dumps(old)})
    stream_mode.xgroup_create(legacy, settings.BUFFER_GROUP, id="0")
    stream_mode.xreadgroup(settings.BUFFER_GROUP, "old-worker", {legacy: ">"}, count=5)
    buffer.push(later)
    assert buffer.drain_for(seconds=10) == 30
    assert stored_uuids() == {h.uuid for h in earlier + later}
    assert stream_mode.xlen(legacy) == 0
    assert Session.objects.count() == 3
    assert Session.objects.aggregate(n=Sum("pageviews"))["n"] == 30
    assert readings.stream_reading(now=time.time()) == readings.StreamReading(0, 0, 0.0)


def test_two_readers_at_once_store_every_visit_once(stream_mode, settings):
    """Two threads drain the partitions at the same time, each as its own consumer; on PostgreSQL each takes
    the partitions the other does not hold."""
    settings.BUFFER_BATCH_SIZE = 50
    hits = make_hits(SiteFactory(), 1200, visitors=40)
    for start in range(0, len(hits), 100):
        buffer.push(hits[start : start + 100])
    drained: list[int] = []

    def reader(name: str) -> None:
        try:
            while total := buffer.drain_stream(consumer=name):
                drained.append(total)
        finally:
            connection.close()

    threads = [threading.Thread(target=reader, args=(f"reader-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(drained) == len(hits)
    assert stored_uuids() == {h.uuid for h in hits}
    assert Session.objects.count() == 40
    assert Session.objects.aggregate(n=Sum("pageviews"))["n"] == len(hits)


def test_a_partition_leased_by_another_worker_is_left_to_it(stream_mode, settings):
    """Its lease is held: this worker stores the other partitions; the lease expires if never released."""
    hits = make_hits(SiteFactory(), 40, visitors=12)
    buffer.push(hits)
    held = partition_streams()[hits[0].partition or 0]
    stream_mode.set(f"{held}:lease", "another-worker", ex=buffer.LEASE_SECONDS)
    waiting_in_held = stream_mode.xlen(held)
    assert 0 < waiting_in_held < 40
    assert buffer.drain_for(seconds=5) == 40 - waiting_in_held
    assert stream_mode.ttl(f"{held}:lease") > 0
    stream_mode.delete(f"{held}:lease")  # released (or expired)
    assert buffer.drain_stream() == waiting_in_held
    assert stored_uuids() == {h.uuid for h in hits}
