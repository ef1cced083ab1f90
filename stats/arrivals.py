"""What reached a site lately: events stored, and accepted events the pipeline dropped, by reason, so the
settings page can tell a snippet that sends nothing from events that arrive and are dropped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Sum

from tracker.models import DropCount, Event

WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Arrivals:
    stored: int
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> events


def arrivals(site_id: int, now: datetime) -> Arrivals:
    """The last 24 hours (drops are counted by the hour, so up to an hour more of them)."""
    since = now - WINDOW
    stored = Event.objects.filter(site_id=site_id, timestamp__gte=since, timestamp__lte=now).count()
    drops = (
        DropCount.objects.filter(site_id=site_id, hour__gte=since.replace(minute=0, second=0, microsecond=0))
        .values("reason")
        .annotate(events=Sum("events"))
    )
    return Arrivals(stored, {row["reason"]: row["events"] for row in drops if row["events"]})


def last_arrival(site_id: int, now: datetime) -> datetime | None:
    """When the site's latest event (up to `now`) happened; None if it never had one."""
    latest = Event.objects.filter(site_id=site_id, timestamp__lte=now).order_by("-timestamp")
    return latest.values_list("timestamp", flat=True).first()
