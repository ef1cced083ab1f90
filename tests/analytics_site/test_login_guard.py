"""Login brute-force protection: a username is locked out for a client after five failures, and
the client's address is stored only as a pseudonym."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client

from analytics_site.login_guard import pseudonymous_address
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.77"


def attempt(client: Client, password: str):
    return client.post("/accounts/login/", {"username": "owner", "password": password}, REMOTE_ADDR=ADDRESS)


def test_five_failures_lock_the_username_for_that_client_only(settings):
    settings.AXES_FAILURE_LIMIT = 5
    user = UserFactory(username="owner")
    user.set_password("right-password")
    user.save()
    client = Client()
    for _ in range(5):
        assert attempt(client, "wrong").status_code in (200, 429)
    locked = attempt(client, "right-password")
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    other = Client().post(
        "/accounts/login/", {"username": "owner", "password": "right-password"}, REMOTE_ADDR="198.51.100.9"
    )
    assert other.status_code == 302  # another client still logs in


def test_the_stored_address_is_a_pseudonym():
    UserFactory(username="owner")
    attempt(Client(), "wrong")
    stored = AccessAttempt.objects.get().ip_address
    assert stored != ADDRESS
    assert stored == pseudonymous_address(ADDRESS)
    assert stored.startswith("fd")
    assert pseudonymous_address(ADDRESS) != pseudonymous_address("203.0.113.78")
