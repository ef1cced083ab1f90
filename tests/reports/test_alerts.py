"""A spike alert fires above its current visitors; a silence alert after its hours without events, and
never for a site that had no event at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reports.alerts import check, cooldown_window
from reports.models import Alert
from tests.factories import SiteFactory
from tests.tracker.events import hit
from tracker import pipeline

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def alert(site, kind, threshold, cooldown_hours=24):
    return Alert.objects.create(
        site=site, email="ops@example.com", kind=kind, threshold=threshold, cooldown_hours=cooldown_hours
    )


def test_a_spike_fires_above_its_current_visitors_only():
    site = SiteFactory(domain="busy.example")
    pipeline.process_batch([hit(site, n, NOW - timedelta(minutes=2), "/") for n in range(3)])
    pipeline.process_batch([hit(site, 99, NOW - timedelta(minutes=10), "/")])  # not current
    assert check(alert(site, "spike", 3), NOW) is None
    firing = check(alert(site, "spike", 2), NOW)
    assert firing is not None
    assert firing.subject == "Traffic spike on busy.example: 3 current visitors"


def test_silence_fires_after_its_hours_without_events():
    site = SiteFactory(domain="quiet.example")
    pipeline.process_batch([hit(site, 1, NOW - timedelta(hours=7), "/")])
    assert check(alert(site, "silence", 8), NOW) is None
    firing = check(alert(site, "silence", 6), NOW)
    assert firing is not None
    assert firing.subject == "No events from quiet.example for 7 hours"
    assert "snippet" in firing.text


def test_a_site_that_never_had_an_event_is_not_silent():
    assert check(alert(SiteFactory(), "silence", 1), NOW) is None


def test_the_cooldown_window_is_fixed_per_alert():
    a = alert(SiteFactory(), "spike", 1, cooldown_hours=6)
    start = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # a multiple of 6 hours since the epoch
    assert cooldown_window(a, start) == cooldown_window(a, start + timedelta(hours=5, minutes=59))
    assert cooldown_window(a, start) != cooldown_window(a, start + timedelta(hours=6))
