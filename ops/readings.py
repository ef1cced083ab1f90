"""What the pipeline's queues and the periodic jobs look like now: the stream and its pending entries, the
spool, how far rollups and the archive lag behind. Each reading is a few cheap queries, fit for a scrape
every few seconds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import redis
from django.conf import settings
from django.db.models import Max, Min, OuterRef, Subquery

from sites.models import Site
from tracker import metrics
from tracker.connections import partition_streams, redis_client, stream_mode
from tracker.models import ArchiveCursor, Event, Rollup, RollupDirty, RollupState, SpooledHit


@dataclass(frozen=True)
class StreamReading:
    length: int  # entries not acknowledged yet (acknowledged ones are deleted)
    pending: int  # delivered to a worker, not acknowledged
    oldest_age_seconds: float  # how long the oldest entry has waited; 0 for an empty stream


@dataclass(frozen=True)
class ConsumerReading:
    pending: int  # entries it read and has not acknowledged
    idle_seconds: float  # since it last read or claimed entries


@dataclass(frozen=True)
class PartitionReading(StreamReading):
    stream: str
    consumers: dict[str, ConsumerReading]  # by consumer name


def _entry_time(entry_id: bytes) -> float:
    """The Unix time a stream entry was added, from its id (`<milliseconds>-<sequence>`)."""
    return int(entry_id.split(b"-", 1)[0]) / 1000


def partition_readings(*, now: float) -> list[PartitionReading]:
    """Read each partition of the event stream, and an earlier unpartitioned stream while it holds entries
    (none in the embedded mode); raises redis.RedisError."""
    if not stream_mode():
        return []
    streams = [*partition_streams(), settings.BUFFER_STREAM]
    with redis_client(settings.REDIS_URL).pipeline(transaction=False) as pipe:
        for stream in streams:
            pipe.xlen(stream)
            pipe.xrange(stream, count=1)
            pipe.xpending(stream, settings.BUFFER_GROUP)
            pipe.xinfo_consumers(stream, settings.BUFFER_GROUP)
        # A stream or group not created yet (no worker has read it) answers NOGROUP: nothing is pending.
        answers = pipe.execute(raise_on_error=False)
    found = []
    for n, stream in enumerate(streams):
        length, oldest, pending, consumers = answers[4 * n : 4 * n + 4]
        for answer in (length, oldest):
            if isinstance(answer, Exception):
                raise answer
        if stream == settings.BUFFER_STREAM and not length:
            continue
        age = max(0.0, now - _entry_time(oldest[0][0])) if oldest else 0.0
        pending_count = 0 if isinstance(pending, redis.ResponseError) else int(pending["pending"])
        readers = {
            c["name"].decode(): ConsumerReading(pending=int(c["pending"]), idle_seconds=int(c["idle"]) / 1000)
            for c in ([] if isinstance(consumers, redis.ResponseError) else consumers)
        }
        found.append(PartitionReading(int(length), pending_count, age, stream, readers))
    return found


def stream_reading(*, now: float) -> StreamReading | None:
    """Read the event stream, all partitions together (None in the embedded mode, which has none); raises
    redis.RedisError."""
    if not stream_mode():
        return None
    parts = partition_readings(now=now)
    return StreamReading(
        length=sum(p.length for p in parts),
        pending=sum(p.pending for p in parts),
        oldest_age_seconds=max((p.oldest_age_seconds for p in parts), default=0.0),
    )


def spool_length() -> int:
    """Hits spooled to the database while Redis was unreachable, not yet drained."""
    return SpooledHit.objects.count()


def _day_end(day: date, zone: str) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), ZoneInfo(zone))


def rollup_lag_seconds(*, now: datetime) -> float:
    """How long ago the oldest local day that has ended but is not rolled up yet ended, over all sites (0: none).

    A site's fill state says every day before `rolled_until` is rolled up; a site with events and no fill
    state was never rolled up, from its first event's day. Days that late events changed are counted by
    rollup_pending_days.
    """
    states = dict(RollupState.objects.values_list("site_id", "rolled_until"))
    lag = 0.0
    for site_id, zone in Site.objects.values_list("id", "timezone"):
        oldest = states.get(site_id)
        if oldest is None:
            first = Event.objects.filter(site_id=site_id).aggregate(first=Min("timestamp"))["first"]
            if first is None:
                continue
            oldest = first.astimezone(ZoneInfo(zone)).date()
        lag = max(lag, (now - _day_end(oldest, zone)).total_seconds())
    return lag


def rollup_pending_days() -> int:
    """Rolled-up days that late events changed, waiting for the next rollup run to recompute them."""
    # Days from the fill state on have not ended yet (or are rolled up when they do) and are not due.
    rolled_until = RollupState.objects.filter(site_id=OuterRef("site_id")).values("rolled_until")
    return RollupDirty.objects.filter(period=Rollup.Period.DAY, day__lt=Subquery(rolled_until)).count()


def archive_lag_events() -> int:
    """Events stored since the cursor of the site the archive is furthest behind on (0 with archiving off).

    An idle site's cursor moves to the newest event on every archive run, so on a healthy install this
    stays below a few ticks' worth of events; event ids are shared by all sites, so it is an upper bound.
    """
    if not settings.ARCHIVE_ENABLED:
        return 0
    low = ArchiveCursor.objects.aggregate(low=Min("last_event_id"))["low"]
    top = Event.objects.aggregate(top=Max("id"))["top"]
    if top is None:
        return 0
    return max(0, top - (low or 0))


def pipeline_state(*, now: float) -> dict[str, Any]:
    """The write path at a glance, as plain data (manage.py pipeline_status): each stream partition's waiting
    and pending entries and latest batch, the consumers with their idle times and last reads, the spool,
    and the pipeline's counters with the mean seconds per batch of each step. Raises redis.RedisError."""
    state: dict[str, Any] = {
        "mode": "stream" if stream_mode() else "embedded",
        "partitions": [],
        "consumers": {},
        "spool": spool_length(),
    }
    counters = metrics.read_counters()
    batches = counters.get(metrics.BATCHES, 0)
    state["counters"] = {
        "accepted": int(counters.get(metrics.ACCEPTED, 0)),
        "stored": int(counters.get(metrics.STORED, 0)),
        "batches": int(batches),
        "dropped": {
            name.removeprefix(metrics.DROPPED_PREFIX): int(value)
            for name, value in sorted(counters.items())
            if name.startswith(metrics.DROPPED_PREFIX)
        },
        "mean_step_seconds_per_batch": {
            name.removeprefix(metrics.STEP_PREFIX): value / batches
            for name, value in sorted(counters.items())
            if name.startswith(metrics.STEP_PREFIX) and batches
        },
    }
    if not stream_mode():
        return state
    last = metrics.last_batches()
    consumers: dict[str, dict[str, Any]] = {
        name: {"pending": 0, "idle_seconds": None, "last_seen_seconds": max(0.0, now - seen)}
        for name, seen in metrics.workers_last_seen().items()
    }
    for part in partition_readings(now=now):
        batch = last.get(part.stream)
        if batch:
            batch = {**batch, "age_seconds": max(0.0, now - batch.pop("at"))}
        state["partitions"].append(
            {
                "stream": part.stream,
                "waiting": part.length,
                "pending": part.pending,
                "oldest_age_seconds": part.oldest_age_seconds,
                "last_batch": batch,
            }
        )
        for name, reading in part.consumers.items():
            seen = consumers.setdefault(name, {"pending": 0, "idle_seconds": None, "last_seen_seconds": None})
            seen["pending"] += reading.pending
            idle = seen["idle_seconds"]
            seen["idle_seconds"] = reading.idle_seconds if idle is None else min(idle, reading.idle_seconds)
    state["consumers"] = dict(sorted(consumers.items()))
    return state
