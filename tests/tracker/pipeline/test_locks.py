"""The write side's locks: which partitions a batch locks, that a visitor keeps one partition across
midnight, and (on PostgreSQL) that batches of different partitions and sites never wait for each other
while archive, rollups and deletion wait only for the batches of their own site."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError, connection, transaction
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.factories import SiteFactory
from tracker import pipeline
from tracker.ingest.hits import Hit
from tracker.pipeline import locks
from tracker.pipeline.enrich import hashing

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"


def hit(site_id: int = 1, *, at: datetime) -> Hit:
    return Hit(uuid=str(uuid.uuid4()), site_id=site_id, name="pageview", timestamp=at, raw_url="https://a.example/")


def pseudonymised(site_id: int, at: datetime, ip: str) -> Hit:
    return pipeline.pseudonymise(replace(hit(site_id, at=at), ip=ip, user_agent=UA))


@pytest.mark.django_db
@hypothesis_settings(max_examples=50, deadline=None)
@given(ip=st.ip_addresses().map(str), site_id=st.integers(1, 2**31))
def test_a_visitor_keeps_its_partition_across_midnight(ip, site_id):
    """The visitor hash changes at midnight; the partition must not, or two workers could share a visit."""
    before = pseudonymised(site_id, datetime(2026, 3, 1, 23, 59, tzinfo=UTC), ip)
    after = pseudonymised(site_id, datetime(2026, 3, 2, 0, 1, tzinfo=UTC), ip)
    assert before.visitor_hash != after.visitor_hash
    assert after.prev_visitor_hash == before.visitor_hash
    assert before.partition == after.partition == hashing.partition_of(site_id, ip, UA)
    assert before.partition is not None
    assert 0 <= before.partition < 4


def test_partitions_spread_visitors(settings):
    settings.BUFFER_PARTITIONS = 8
    found = {hashing.partition_of(1, f"198.51.100.{n}", UA) for n in range(200)}
    assert found == set(range(8))


def test_a_batch_locks_the_partitions_of_its_hits(settings):
    settings.BUFFER_PARTITIONS = 4
    at = datetime(2026, 3, 1, tzinfo=UTC)
    hits = [replace(hit(at=at), partition=p) for p in (3, 1, 3)]
    assert locks.partitions_of(hits) == [1, 3]
    assert locks.partitions_of([]) == []


def test_a_hit_without_a_partition_is_placed_by_its_one_visitor_hash(settings):
    """A µAnalytics hit: one visitor id, no hash of the day before; placed where all its visitor's hits go."""
    at = datetime(2026, 3, 1, tzinfo=UTC)
    one = replace(hit(5, at=at), visitor_hash=42)
    again = replace(hit(5, at=at + timedelta(days=1)), visitor_hash=42)
    assert locks.partition_of(one) == locks.partition_of(again) == hashing.partition_of(5, "42", "")


@pytest.mark.parametrize("partition", [None, 4, 9], ids=["two hashes, no partition", "partition 4 of 4", "9 of 4"])
def test_a_hit_no_partition_covers_locks_every_partition(settings, partition):
    """Buffered before partitions (it has both days' hashes), or placed under more partitions than there are now."""
    settings.BUFFER_PARTITIONS = 4
    stray = replace(hit(at=datetime(2026, 3, 1, tzinfo=UTC)), visitor_hash=1, prev_visitor_hash=2, partition=partition)
    placed = replace(stray, partition=2)
    assert locks.partitions_of([placed, stray]) == [0, 1, 2, 3]


# --- on PostgreSQL: who waits for whom ---------------------------------------------------------------


@pytest.fixture
def holder(postgres) -> Iterator[Callable[[Callable[[], None]], None]]:
    """Run `take` in a transaction of another thread (its own connection), and hold it until the test ends."""
    release = threading.Event()
    threads: list[threading.Thread] = []

    def hold(take: Callable[[], None]) -> None:
        taken = threading.Event()

        def run() -> None:
            try:
                with transaction.atomic():
                    take()
                    taken.set()
                    release.wait(30)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        threads.append(thread)
        assert taken.wait(10)

    yield hold
    release.set()
    for thread in threads:
        thread.join(10)


def waits(take: Callable[[], None]) -> bool:
    """Whether `take` has to wait for a lock another transaction holds (it gives up after 200 ms)."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '200ms'")
            take()
    except OperationalError as exc:
        assert "lock timeout" in str(exc)
        return True
    return False


def batch(site_id: int, partition: int) -> list[Hit]:
    return [replace(hit(site_id, at=datetime(2026, 3, 1, tzinfo=UTC)), partition=partition)]


@pytest.mark.django_db(transaction=True)
def test_batches_of_other_partitions_go_on_while_one_is_stored(holder):
    site = SiteFactory()
    holder(lambda: locks.lock_batch(batch(site.id, 0)))
    assert not waits(lambda: locks.lock_batch(batch(site.id, 1)))  # another partition of the same site
    assert waits(lambda: locks.lock_batch(batch(site.id, 0)))  # the same partition: one batch at a time


@pytest.mark.django_db(transaction=True)
def test_a_site_lock_waits_for_that_sites_batches_alone(holder):
    """Archive, rollups and deletion wait for the batches of their site in flight, and for nothing else."""
    site, other = SiteFactory(), SiteFactory()
    holder(lambda: locks.lock_batch(batch(site.id, 0)))
    assert waits(lambda: locks.lock_site(site.id))
    assert not waits(lambda: locks.lock_site(other.id))


@pytest.mark.django_db(transaction=True)
def test_a_batch_waits_while_its_site_is_locked(holder):
    site, other = SiteFactory(), SiteFactory()
    holder(lambda: locks.lock_site(site.id))
    assert waits(lambda: locks.lock_batch(batch(site.id, 2)))
    assert not waits(lambda: locks.lock_batch(batch(other.id, 2)))
