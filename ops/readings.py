"""What the pipeline's queues and the periodic jobs look like now: the stream and its pending entries, the
spool, how far rollups and the archive lag behind. Each reading is a few cheap queries, fit for a scrape
every few seconds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import redis
from django.conf import settings
from django.db.models import Max, Min, OuterRef, Subquery

from sites.models import Site
from tracker.connections import redis_client, stream_mode
from tracker.models import ArchiveCursor, Event, Rollup, RollupDirty, RollupState, SpooledHit


@dataclass(frozen=True)
class StreamReading:
    length: int  # entries not acknowledged yet (acknowledged ones are deleted)
    pending: int  # delivered to a worker, not acknowledged
    oldest_age_seconds: float  # how long the oldest entry has waited; 0 for an empty stream


def _entry_time(entry_id: bytes) -> float:
    """The Unix time a stream entry was added, from its id (`<milliseconds>-<sequence>`)."""
    return int(entry_id.split(b"-", 1)[0]) / 1000


def stream_reading(*, now: float) -> StreamReading | None:
    """Read the event stream (None in the embedded mode, which has none); raises redis.RedisError."""
    if not stream_mode():
        return None
    with redis_client(settings.REDIS_URL).pipeline(transaction=False) as pipe:
        pipe.xlen(settings.BUFFER_STREAM)
        pipe.xrange(settings.BUFFER_STREAM, count=1)
        pipe.xpending(settings.BUFFER_STREAM, settings.BUFFER_GROUP)
        # A stream or group not created yet (no worker has read it) answers NOGROUP: nothing is pending.
        length, oldest, pending = pipe.execute(raise_on_error=False)
    for answer in (length, oldest):
        if isinstance(answer, Exception):
            raise answer
    age = max(0.0, now - _entry_time(oldest[0][0])) if oldest else 0.0
    pending_count = 0 if isinstance(pending, redis.ResponseError) else int(pending["pending"])
    return StreamReading(length=int(length), pending=pending_count, oldest_age_seconds=age)


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
