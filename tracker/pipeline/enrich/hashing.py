"""Daily salts and the visitor hash: keyed BLAKE2b of site, address and user agent.

A salt lives for one UTC day plus the next (for visits that cross midnight) and is then
deleted, so the same person yields unrelated ids on different days.

The stream partition of a visitor is a keyed hash of the same inputs under a key that does not
rotate, reduced to one of BUFFER_PARTITIONS (a handful) values: the same on both days of a visit
that crosses midnight, so one worker at a time handles all of a visit (tracker/buffer.py). A
number of so few values links nobody: a quarter or an eighth of all visitors share each.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, transaction

from tracker.models import Salt


def visitor_hash(salt: bytes, site_id: int, ip: str, user_agent: str) -> int:
    """Return a signed 64-bit id for this visitor on this site, stable for one salt."""
    digest = hashlib.blake2b(f"{site_id}|{ip}|{user_agent}".encode(), key=salt, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@lru_cache(maxsize=2)
def _partition_key(secret: str) -> bytes:
    return hashlib.blake2b(secret.encode(), person=b"ff-partition", digest_size=32).digest()


def partition_of(site_id: int, ip: str, user_agent: str) -> int:
    """Return the visitor's stream partition, in range(BUFFER_PARTITIONS), the same on every day."""
    key = _partition_key(settings.SECRET_KEY)
    digest = hashlib.blake2b(f"{site_id}|{ip}|{user_agent}".encode(), key=key, digest_size=8).digest()
    return int.from_bytes(digest, "big") % settings.BUFFER_PARTITIONS


def salt_for_day(day: date) -> bytes:
    """Return the salt of a UTC day, creating it if this is the first use."""
    salt = Salt.objects.filter(day=day).values_list("secret", flat=True).first()
    if salt is not None:
        return bytes(salt)
    try:
        with transaction.atomic():
            return bytes(Salt.objects.create(day=day, secret=secrets.token_bytes(32)).secret)
    except IntegrityError:  # another process created it first
        return bytes(Salt.objects.get(day=day).secret)


@lru_cache(maxsize=4)
def _salts_for_day(day: date) -> tuple[bytes, bytes | None]:
    # The first use of a day also retires old salts, so that the embedded mode, which runs no
    # Celery beat, forgets them on time too.
    _delete_salts_before(day - timedelta(days=1))
    previous = Salt.objects.filter(day=day - timedelta(days=1)).values_list("secret", flat=True).first()
    return salt_for_day(day), bytes(previous) if previous is not None else None


def _delete_salts_before(day: date) -> int:
    deleted, _ = Salt.objects.filter(day__lt=day).delete()
    return deleted


def current_salts(now: datetime) -> tuple[bytes, bytes | None]:
    """Return (today's salt, yesterday's salt or None), read once per day per process."""
    return _salts_for_day(now.date())


def salts_for_day(day: date, now: datetime) -> tuple[bytes, bytes | None]:
    """Return the salts for a hit of this UTC day received now: the day's own and the day before's.

    A hit of today takes today's and yesterday's salts. A back-dated one (older salts are gone)
    takes salts derived from today's and its own day, so that every hash still belongs to one
    day, which lets rollups count visitors over many days exactly; they vanish with today's.
    """
    today, yesterday = current_salts(now)
    if day >= now.date():
        return today, yesterday
    return _derived_salt(today, day), _derived_salt(today, day - timedelta(days=1))


def _derived_salt(salt: bytes, day: date) -> bytes:
    return hashlib.blake2b(day.isoformat().encode(), key=salt, digest_size=32).digest()


def forget_cached_salts() -> None:
    """Drop this process's cached salts (after rotation, and between tests)."""
    _salts_for_day.cache_clear()


def rotate_salts(now: datetime) -> int:
    """Create today's and tomorrow's salts ahead of use and delete those older than yesterday.

    Return the number of salts deleted.
    """
    today = now.date()
    salt_for_day(today)
    salt_for_day(today + timedelta(days=1))
    deleted = _delete_salts_before(today - timedelta(days=1))
    forget_cached_salts()
    return deleted
