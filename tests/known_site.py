"""A small site with known numbers, for the stats, dashboard and API tests (a pytest plugin of tests/conftest.py):
one day of stats.example, recent visitors, and keys of its owner."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from sites.keys import api_key_create
from sites.models import ApiKey
from tests.factories import MembershipFactory, SiteFactory, UserFactory
from tracker import pipeline
from tracker.ingest.hits import Hit

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def hit(site, visitor, seconds, path, name="pageview", **fields) -> Hit:
    return Hit(
        uuid=str(uuid.uuid4()),
        site_id=site.id,
        name=name,
        timestamp=T0 + timedelta(seconds=seconds),
        raw_url=f"https://{site.domain}{path}",
        visitor_hash=visitor,
        **fields,
    )


@pytest.fixture
def site(db):
    """stats.example on 2026-11-20 (UTC): three visits by three visitors, and one the day before."""
    site = SiteFactory(domain="stats.example")
    pipeline.process_batch(
        [
            # A: from Google, two pages and 30 s of engagement.
            hit(site, 1, 0, "/blog/x", raw_referrer="https://www.google.com/"),
            hit(site, 1, 120, "/about", raw_referrer="https://stats.example/blog/x"),
            hit(site, 1, 150, "/about", name="engagement", engaged_ms=30_000, scroll_depth=80),
            # B: direct, one page, a short look: a bounce.
            hit(site, 2, 0, "/blog/x"),
            hit(site, 2, 5, "/blog/x", name="engagement", engaged_ms=2_000, scroll_depth=20),
            # C: from the newsletter, signs up.
            hit(site, 3, 0, "/?utm_source=newsletter"),
            hit(site, 3, 10, "/", name="Signup", props={"plan": "pro"}),
            # A the day before.
            hit(site, 1, -86_400, "/"),
        ]
    )
    return site


@pytest.fixture
def recent_visitors(site) -> int:
    """Two visitors of stats.example in the last 5 minutes (and one 10 minutes ago); return 2."""
    now = timezone.now()
    recent = [hit(site, 9, 0, "/live"), hit(site, 8, 0, "/live"), hit(site, 7, 0, "/old")]
    for event, age in zip(recent, (60, 200, 600), strict=True):
        event.timestamp = now - timedelta(seconds=age)
    pipeline.process_batch(recent)
    return 2


@pytest.fixture
def secrets(site) -> dict[str, str]:
    """Keys of an owner of stats.example and elsewhere.example: one per scope, and a stats:read key
    narrowed to elsewhere.example ("stats:read elsewhere")."""
    owner = UserFactory(username="owner")
    MembershipFactory(site=site, user=owner, role="owner")
    elsewhere = SiteFactory(domain="elsewhere.example")
    MembershipFactory(site=elsewhere, user=owner, role="owner")
    keys = {scope: api_key_create(user=owner, name=scope, scopes=[scope])[1] for scope in ApiKey.Scope.values}
    keys["stats:read elsewhere"] = api_key_create(user=owner, name="x", scopes=["stats:read"], sites=[elsewhere])[1]
    return keys
