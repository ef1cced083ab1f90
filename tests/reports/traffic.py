"""A site with a known week of traffic for the mail tests, and its subscribers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from reports.models import Subscription
from sites.goals import goal_create
from sites.models import Site
from tests.factories import MembershipFactory, SiteFactory, UserFactory
from tests.tracker.events import hit
from tracker import pipeline

# Monday 2026-11-23 to Sunday 2026-11-29 is the reported week; reports are due from Monday 2026-11-30.
WEEK_START = datetime(2026, 11, 23, tzinfo=UTC)
MONDAY_MORNING = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def week_of_traffic(site: Site) -> None:
    """Three visitors in the reported week (one from Google, one in DE reading two pages), one the week
    before, and a Signup."""
    pipeline.process_batch(
        [
            hit(site, 1, WEEK_START + timedelta(days=1, hours=9), "/blog/x", raw_referrer="https://www.google.com/"),
            hit(site, 1, WEEK_START + timedelta(days=1, hours=9, minutes=2), "/about"),
            hit(site, 2, WEEK_START + timedelta(days=3, hours=12), "/blog/x"),
            hit(site, 5, WEEK_START + timedelta(days=6, hours=20), "/"),
            hit(site, 5, WEEK_START + timedelta(days=6, hours=20, minutes=1), "/", name="Signup"),
            hit(site, 7, WEEK_START - timedelta(days=3), "/"),
        ]
    )


def subscribed_site(domain: str = "mail.example", timezone: str = "UTC", *, traffic: bool = True) -> Any:
    site = SiteFactory(domain=domain, timezone=timezone)
    goal_create(site=site, goal_type="event", event_name="Signup")
    if traffic:
        week_of_traffic(site)
    return site


def subscriber(site: Site, username: str = "reader", period: str = "week", **fields: Any) -> Subscription:
    user: Any = UserFactory(username=username, email=f"{username}@example.com")
    MembershipFactory(site=site, user=user, role="viewer")
    return Subscription.objects.create(site=site, user=user, period=period, **fields)
