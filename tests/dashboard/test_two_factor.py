"""Optional two-factor login: set up with a confirmed code, then the login asks for one."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    # After a wrong code django-otp waits a growing delay before the next try; tests try at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def code(device: TOTPDevice, *, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def user():
    user = UserFactory(username="careful")
    user.set_password("a-long-passphrase")
    user.save()
    return user


def log_in(client: Client, token: str = ""):
    return client.post("/accounts/login/", {"username": "careful", "password": "a-long-passphrase", "otp_token": token})


def test_without_an_authenticator_the_password_is_enough(client, user):
    assert log_in(client).status_code == 302


def test_setting_up_needs_a_confirming_code_then_login_asks_for_one(client, user):
    client.force_login(user)
    assert b"Set up" in client.get("/accounts/two-factor/").content
    client.post("/accounts/two-factor/start")
    device = TOTPDevice.objects.get(user=user)
    page = client.get("/accounts/two-factor/").content.decode()
    assert "<svg" in page  # the QR code, inline
    assert "<script" not in page.split("<main>")[1]
    client.post("/accounts/two-factor/confirm", {"token": "000000" if code(device) != "000000" else "111111"})
    device.refresh_from_db()
    assert not device.confirmed  # a wrong code confirms nothing
    client.post("/accounts/two-factor/confirm", {"token": code(device)})
    device.refresh_from_db()
    assert device.confirmed

    fresh = Client()
    refused = log_in(fresh)
    assert refused.status_code == 200
    assert b"Please enter your OTP token" in refused.content or b"token" in refused.content.lower()
    assert log_in(fresh, "12345x").status_code == 200
    assert log_in(fresh, code(device, offset=1)).status_code == 302


def test_turning_it_off_needs_a_current_code(client, user):
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client.force_login(user)
    client.post("/accounts/two-factor/disable", {"token": "nonsense"})
    assert TOTPDevice.objects.filter(user=user).exists()
    client.post("/accounts/two-factor/disable", {"token": code(device)})
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert log_in(Client()).status_code == 302


def test_two_factor_pages_need_login_and_posts(client):
    assert client.get("/accounts/two-factor/").status_code == 302
    client.force_login(UserFactory())
    assert client.get("/accounts/two-factor/start").status_code == 405
