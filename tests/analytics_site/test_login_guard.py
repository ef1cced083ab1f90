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


def test_the_login_warns_before_the_last_attempt(settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="owner")
    client = Client()
    assert b"One more wrong password" not in attempt(client, "wrong").content
    assert b"One more wrong password" in attempt(client, "wrong").content


def test_a_new_password_lifts_the_lockout(settings):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    settings.AXES_FAILURE_LIMIT = 2
    user = UserFactory(username="owner")
    client = Client()
    for _ in range(2):
        attempt(client, "wrong")
    assert attempt(client, "a-new-long-passphrase").status_code == 429
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    mail = Client()  # whoever follows the mailed link
    link = mail.get(f"/accounts/reset/{uid}/{default_token_generator.make_token(user)}/", follow=True)
    form_url = link.redirect_chain[-1][0]
    done = mail.post(form_url, {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"})
    assert done.status_code == 302
    assert attempt(client, "a-new-long-passphrase").status_code == 302


def test_changing_the_password_lifts_the_lockout_too(settings):
    settings.AXES_FAILURE_LIMIT = 2
    user = UserFactory(username="owner")
    for _ in range(2):
        attempt(Client(), "wrong")
    signed_in = Client()
    signed_in.force_login(user)
    changed = signed_in.post(
        "/accounts/password_change/",
        {
            "old_password": "correct horse battery staple",
            "new_password1": "another-long-passphrase",
            "new_password2": "another-long-passphrase",
        },
    )
    assert changed.status_code == 302
    assert attempt(Client(), "another-long-passphrase").status_code == 302
