"""When an alert fires: more current visitors than its threshold (the stats layer's realtime count), or
no event for its threshold in hours while the site had events before (a snippet that broke; a site
that never had an event is not installed yet, and is not alerted about)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import stats
from reports.models import Alert
from stats.arrivals import last_arrival


@dataclass(frozen=True)
class Firing:
    alert: Alert
    subject: str
    text: str


def spike(alert: Alert, now: datetime) -> Firing | None:
    visitors = stats.realtime_visitors(alert.site_id, now)
    if visitors <= alert.threshold:
        return None
    domain = alert.site.domain
    text = (
        f"{domain} has {visitors:,} current visitors (the last 5 minutes), more than your alert's {alert.threshold:,}."
    )
    return Firing(alert, f"Traffic spike on {domain}: {visitors:,} current visitors", text)


def silence(alert: Alert, now: datetime) -> Firing | None:
    latest = last_arrival(alert.site_id, now)
    if latest is None or now - latest < timedelta(hours=alert.threshold):
        return None
    domain = alert.site.domain
    hours = int((now - latest).total_seconds() // 3600)
    text = (
        f"{domain} has sent no event for {hours} hours (the last at {latest:%Y-%m-%d %H:%M} UTC), longer than "
        f"your alert's {alert.threshold}. Check that its pages still carry the Footfall snippet."
    )
    return Firing(alert, f"No events from {domain} for {hours} hours", text)


CHECKS = {Alert.Kind.SPIKE: spike, Alert.Kind.SILENCE: silence}


def check(alert: Alert, now: datetime) -> Firing | None:
    """Return the alert's mail if it fires now."""
    return CHECKS[Alert.Kind(alert.kind)](alert, now)


def cooldown_window(alert: Alert, now: datetime) -> str:
    """The alert's cool-down window at `now`: the sent-log's period, so one mail goes per window."""
    return str(int(now.timestamp() // (alert.cooldown_hours * 3600)))
