"""Unsubscribe tokens name one row, are signed, and refuse any change."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import signing

from reports.models import Alert, Subscription
from reports.unsubscribe import SALT, BadToken, Target, make_token, read_token, unsubscribe_url
from tests.factories import SiteFactory


def a_site() -> Any:
    return SiteFactory()


pytestmark = pytest.mark.django_db


def test_a_token_names_its_subscription_or_alert():
    site = a_site()
    sub = Subscription.objects.create(site=site, email="a@example.com", period="week")
    alert = Alert.objects.create(site=site, email="a@example.com", kind="spike", threshold=5)
    assert read_token(make_token(sub)) == Target("subscription", sub.id)
    assert read_token(make_token(alert)) == Target("alert", alert.id)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "nonsense",
        signing.dumps(["subscription", 1], salt="another purpose"),
        signing.dumps(["user", 1], salt=SALT),
        signing.dumps(["subscription", "1"], salt=SALT),
        signing.dumps({"subscription": 1}, salt=SALT),
    ],
)
def test_tokens_not_signed_here_for_a_row_are_refused(token):
    with pytest.raises(BadToken):
        read_token(token)


def test_a_changed_token_is_refused():
    sub = Subscription.objects.create(site=a_site(), email="a@example.com", period="week")
    token = make_token(sub)
    with pytest.raises(BadToken):
        read_token(token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_the_url_is_absolute_on_the_public_url(settings):
    settings.PUBLIC_URL = "https://footfall.example.org/"
    sub = Subscription.objects.create(site=a_site(), email="a@example.com", period="week")
    assert unsubscribe_url(sub) == f"https://footfall.example.org/unsubscribe/{make_token(sub)}"
