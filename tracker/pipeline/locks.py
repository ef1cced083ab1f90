"""The write side's locks, narrow and named: per stream partition and per site, never one for everything.

PostgreSQL advisory locks, held until the transaction ends (elsewhere no-ops: SQLite has one writer).

- A batch locks the stream partitions of its hits, then shares the locks of its sites. All hits of one
  visitor, on both days of a visit that crosses midnight, are in one partition
  (tracker.pipeline.enrich.hashing.partition_of), and a batch reads and writes only the sessions of
  its own hits' visitors. So two batches that could touch the same session hold the same partition
  lock and run one after the other: session counts come out as if every batch ran alone, whichever
  worker stores it (a claimed batch, a retry on a new connection, the spool). Hits without a
  partition (restored from the archive, buffered before partitions) lock every partition.
- Archive, rollups and deletion lock one site at a time, exclusively: they wait for the batches of
  that site in flight, and hold back only that site's next batches, for a few short statements.

Order: partitions before sites, each in ascending order, so no two holders ever wait on each other.
Which worker reads a partition is settled by a lease in Redis (tracker/buffer.py); these locks, not
the lease, are what makes storing it safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import connection

from tracker.ingest.hits import Hit
from tracker.pipeline.enrich import hashing

PARTITION_LOCK = 0x50617274  # "Part": one batch of a stream partition at a time
SITE_LOCK = 0x53697465  # "Site": batches share it; archive, rollups and deletion take it alone


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _take(calls: list[str], params: list[int]) -> None:
    """Take advisory locks in one round trip; a SELECT's columns are evaluated left to right."""
    if calls and _postgres():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(calls)}", params)


def partition_of(hit: Hit) -> int | None:
    """The partition whose lock covers the hit's visit, or None if none does.

    Its own, set at the edge; for a hit that came another way and is matched to its visit by one
    visitor hash alone (a µAnalytics hit, whose visitor id lasts a month), one derived from that hash.
    A hit with the hashes of two days and no partition (buffered before partitions) has none.
    """
    if hit.partition is not None:
        return hit.partition if hit.partition < settings.BUFFER_PARTITIONS else None
    if hit.prev_visitor_hash is None:
        return hashing.partition_of(hit.site_id, str(hit.visitor_hash), "")
    return None


def partitions_of(hits: Iterable[Hit]) -> list[int]:
    """The partitions a batch storing these hits must lock, ascending: every one if a hit has none."""
    found = {partition_of(hit) for hit in hits}
    if None in found:
        return list(range(settings.BUFFER_PARTITIONS))
    return sorted(p for p in found if p is not None)


def lock_batch(stored: Sequence[Hit], counted: Sequence[Hit] = ()) -> None:
    """Lock the partitions of the hits a batch stores, and share the locks of its sites (also of the hits it
    only counts as dropped), until the transaction ends."""
    calls, params = _partition_locks(partitions_of(stored))
    sites = sorted({hit.site_id for hit in [*stored, *counted]})
    calls += ["pg_advisory_xact_lock_shared(%s, %s)"] * len(sites)
    params += [n for s in sites for n in (SITE_LOCK, s)]
    _take(calls, params)


def lock_all_partitions() -> None:
    """Lock every partition (a writer of hits it cannot place, taking them before any site lock)."""
    _take(*_partition_locks(range(settings.BUFFER_PARTITIONS)))


def _partition_locks(partitions: Sequence[int]) -> tuple[list[str], list[int]]:
    """The calls and parameters that lock these partitions, in their order."""
    return ["pg_advisory_xact_lock(%s, %s)"] * len(partitions), [n for p in partitions for n in (PARTITION_LOCK, p)]


def lock_site(site_id: int) -> None:
    """Wait for the site's batches in flight to commit, and hold its next ones back, until the transaction ends."""
    _take(["pg_advisory_xact_lock(%s, %s)"], [SITE_LOCK, site_id])
