"""What reached a site in the last 24 hours: stored events and, by reason, accepted events dropped."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stats.arrivals import arrivals, last_arrival
from tests.factories import TIME_ZERO, EventFactory, SiteFactory
from tracker.models import DropCount

pytestmark = pytest.mark.django_db


def test_the_last_day_of_stored_and_dropped_events():
    site, other = SiteFactory(), SiteFactory()
    EventFactory(site=site, timestamp=TIME_ZERO - timedelta(hours=1))
    EventFactory(site=site, timestamp=TIME_ZERO - timedelta(hours=30))
    EventFactory(site=other, timestamp=TIME_ZERO)
    hour = TIME_ZERO.replace(minute=0)
    DropCount.objects.create(site_id=site.id, hour=hour, reason="bot", events=4)
    DropCount.objects.create(site_id=site.id, hour=hour - timedelta(hours=3), reason="bot", events=1)
    DropCount.objects.create(site_id=site.id, hour=hour - timedelta(days=2), reason="bot", events=100)
    DropCount.objects.create(site_id=site.id, hour=hour, reason="duplicate", events=2)
    seen = arrivals(site.id, TIME_ZERO)
    assert (seen.stored, seen.dropped) == (1, {"bot": 5, "duplicate": 2})
    assert arrivals(SiteFactory().id, TIME_ZERO).dropped == {}


def test_the_last_arrival_is_the_latest_event_up_to_now():
    site, other = SiteFactory(), SiteFactory()
    EventFactory(site=site, timestamp=TIME_ZERO - timedelta(hours=5))
    EventFactory(site=site, timestamp=TIME_ZERO - timedelta(hours=2))
    EventFactory(site=site, timestamp=TIME_ZERO + timedelta(hours=1))  # after `now`: not yet
    EventFactory(site=other, timestamp=TIME_ZERO)
    assert last_arrival(site.id, TIME_ZERO) == TIME_ZERO - timedelta(hours=2)
    assert last_arrival(SiteFactory().id, TIME_ZERO) is None
