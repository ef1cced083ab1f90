"""Visitor hashes and the daily salt lifecycle."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import TIME_ZERO
from tracker.models import Salt
from tracker.pipeline.enrich import hashing

pytestmark = pytest.mark.django_db


def test_visitor_hash_depends_on_every_input():
    base = hashing.visitor_hash(b"s" * 32, 1, "203.0.113.1", "UA")
    assert base == hashing.visitor_hash(b"s" * 32, 1, "203.0.113.1", "UA")
    variants = [
        hashing.visitor_hash(b"t" * 32, 1, "203.0.113.1", "UA"),
        hashing.visitor_hash(b"s" * 32, 2, "203.0.113.1", "UA"),
        hashing.visitor_hash(b"s" * 32, 1, "203.0.113.2", "UA"),
        hashing.visitor_hash(b"s" * 32, 1, "203.0.113.1", "UA2"),
    ]
    assert base not in variants
    assert -(2**63) <= base < 2**63


def test_current_salts_creates_today_and_reads_yesterday():
    today, yesterday = hashing.current_salts(TIME_ZERO)
    assert yesterday is None
    assert Salt.objects.get().day == TIME_ZERO.date()
    hashing.forget_cached_salts()
    tomorrow, previous = hashing.current_salts(TIME_ZERO + timedelta(days=1))
    assert previous == today
    assert tomorrow != today


def test_rotation_prepares_tomorrow_and_deletes_salts_older_than_yesterday():
    for days_ago in range(4):
        hashing.salt_for_day(TIME_ZERO.date() - timedelta(days=days_ago))
    deleted = hashing.rotate_salts(TIME_ZERO)
    assert deleted == 2
    assert sorted(Salt.objects.values_list("day", flat=True)) == [
        TIME_ZERO.date() - timedelta(days=1),
        TIME_ZERO.date(),
        TIME_ZERO.date() + timedelta(days=1),
    ]


def test_rotation_is_idempotent():
    hashing.rotate_salts(TIME_ZERO)
    secrets_before = dict(Salt.objects.values_list("day", "secret"))
    hashing.rotate_salts(TIME_ZERO)
    assert {d: bytes(s) for d, s in Salt.objects.values_list("day", "secret")} == {
        d: bytes(s) for d, s in secrets_before.items()
    }


def test_first_use_of_a_day_retires_old_salts_without_beat():
    """The embedded mode has no beat: reading a new day's salts deletes those over 48 hours old."""
    for days_ago in range(1, 4):
        hashing.salt_for_day(TIME_ZERO.date() - timedelta(days=days_ago))
    hashing.current_salts(TIME_ZERO)
    assert sorted(Salt.objects.values_list("day", flat=True)) == [
        TIME_ZERO.date() - timedelta(days=1),
        TIME_ZERO.date(),
    ]


def test_a_back_dated_hit_gets_salts_of_its_own_day():
    today, yesterday = hashing.current_salts(TIME_ZERO)
    assert hashing.salts_for_day(TIME_ZERO.date(), TIME_ZERO) == (today, yesterday)
    three_days_ago = TIME_ZERO.date() - timedelta(days=3)
    salt, previous = hashing.salts_for_day(three_days_ago, TIME_ZERO)
    # Each day its own salt, chained so a visit over that day's midnight continues.
    assert len({salt, previous, today}) == 3
    assert hashing.salts_for_day(three_days_ago + timedelta(days=1), TIME_ZERO)[1] == salt
    assert hashing.salts_for_day(three_days_ago, TIME_ZERO) == (salt, previous)  # stable within the day
    assert not Salt.objects.filter(day__lt=TIME_ZERO.date() - timedelta(days=1)).exists()  # nothing kept
