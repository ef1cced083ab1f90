"""Date options shared by the export and restore commands."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.management.base import CommandError


def parse_bound(value: str | None, zone: str, *, end: bool) -> datetime | None:
    """Parse YYYY-MM-DD (a local day: its start, or for `end` the start of the next day) or an ISO time."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise CommandError(f"{value!r} is neither YYYY-MM-DD nor an ISO 8601 time.") from exc
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, time.min, ZoneInfo(zone)).astimezone(UTC)
