"""Members subscribe themselves; owners add addresses of no user; bad input is refused with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from reports import services
from reports.models import Alert, Subscription
from reports.services import ReportError
from reports.unsubscribe import Target
from tests.factories import SiteFactory, UserFactory


def a_site() -> Any:
    return SiteFactory()


pytestmark = pytest.mark.django_db


def test_a_member_subscribes_and_unsubscribes():
    site, user = a_site(), UserFactory()
    services.subscription_set(site=site, user=user, period="week", subscribed=True)
    services.subscription_set(site=site, user=user, period="week", subscribed=True, send_empty=True)
    assert list(Subscription.objects.values_list("period", "send_empty")) == [("week", True)]
    services.subscription_set(site=site, user=user, period="week", subscribed=False)
    assert not Subscription.objects.exists()


def test_an_unknown_period_is_refused():
    with pytest.raises(ReportError):
        services.subscription_set(site=a_site(), user=UserFactory(), period="day", subscribed=True)


def test_addresses_are_checked_normalised_and_added_once():
    site = a_site()
    sub = services.subscription_add_address(site=site, email=" Team@Example.com ", period="month")
    assert sub.email == "team@example.com"
    with pytest.raises(ReportError, match="already"):
        services.subscription_add_address(site=site, email="team@example.com", period="month")
    with pytest.raises(ReportError, match="not an email"):
        services.subscription_add_address(site=site, email="team", period="month")


def test_a_member_deletes_only_their_own_subscription():
    site, user = a_site(), UserFactory()
    other = Subscription.objects.create(site=site, email="x@example.com", period="week")
    assert not services.subscription_delete(site=site, subscription_id=other.id, user=user)
    assert services.subscription_delete(site=site, subscription_id=other.id)


def test_alerts_are_checked():
    site, user = a_site(), UserFactory()
    alert = services.alert_create(site=site, kind="silence", threshold=6, cooldown_hours=24, user=user)
    assert alert.address == user.email
    with pytest.raises(ReportError):
        services.alert_create(site=site, kind="other", threshold=6, cooldown_hours=24, user=user)
    with pytest.raises(ReportError):
        services.alert_create(site=site, kind="spike", threshold=0, cooldown_hours=24, user=user)
    for _ in range(services.MAX_ALERTS_PER_RECIPIENT - 1):
        services.alert_create(site=site, kind="spike", threshold=5, cooldown_hours=1, user=user)
    with pytest.raises(ReportError, match="at most"):
        services.alert_create(site=site, kind="spike", threshold=5, cooldown_hours=1, user=user)


def test_alert_delete_and_unsubscribe():
    site, user = a_site(), UserFactory()
    alert = services.alert_create(site=site, kind="spike", threshold=6, cooldown_hours=1, email="ops@example.com")
    assert not services.alert_delete(site=site, alert_id=alert.id, user=user)
    assert services.unsubscribe(Target("alert", alert.id))
    assert not services.unsubscribe(Target("alert", alert.id))
    assert not Alert.objects.exists()
