"""Optional two-factor login: set up with the password and a confirming code; then every way in asks
for a code, and a session opened without one is no session."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase"


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    # After a wrong code django-otp waits a growing delay before the next try; tests try at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def code(device: TOTPDevice, *, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong(device: TOTPDevice) -> str:
    return "000000" if code(device) != "000000" else "111111"


@pytest.fixture
def user():
    user = UserFactory(username="careful", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    MembershipFactory(user=user, site__domain="careful.example")
    return user


@pytest.fixture
def device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def log_in(client: Client, token: str = ""):
    return client.post("/accounts/login/", {"username": "careful", "password": PASSWORD, "otp_token": token})


def verified_client(device: TOTPDevice) -> Client:
    client = Client()
    assert log_in(client, code(device)).status_code == 302
    return client


def test_without_an_authenticator_the_password_is_enough(client, user):
    assert log_in(client).status_code == 302
    assert client.get("/sites/careful.example/settings/").status_code == 200


def test_setting_up_needs_the_password_and_a_confirming_code_then_login_asks_for_one(client, user):
    client.force_login(user)
    assert b"Set up" in client.get("/accounts/two-factor/").content
    client.post("/accounts/two-factor/start", {"password": "not it"})
    assert not TOTPDevice.objects.filter(user=user).exists()
    client.post("/accounts/two-factor/start", {"password": PASSWORD})
    device = TOTPDevice.objects.get(user=user)
    page = client.get("/accounts/two-factor/").content.decode()
    assert "<svg" in page  # the QR code, inline
    assert "<script" not in page.split("<main>")[1]
    client.post("/accounts/two-factor/confirm", {"token": wrong(device)})
    device.refresh_from_db()
    assert not device.confirmed  # a wrong code confirms nothing
    client.post("/accounts/two-factor/confirm", {"token": code(device)})
    device.refresh_from_db()
    assert device.confirmed
    # The session that confirmed the code proved it holds the device: it stays logged in.
    assert client.get("/sites/careful.example/settings/").status_code == 200

    fresh = Client()
    refused = log_in(fresh)
    assert refused.status_code == 200
    assert b"token" in refused.content.lower()
    assert log_in(fresh, "12345x").status_code == 200
    assert log_in(fresh, code(device, offset=1)).status_code == 302
    assert fresh.get("/sites/careful.example/settings/").status_code == 200


def test_the_admin_login_sends_people_to_the_login_that_asks_for_the_code(client, device):
    answer = client.get("/admin/login/?next=/admin/")
    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    # Username and password posted to the admin's login open nothing.
    posted = client.post("/admin/login/?next=/admin/", {"username": "careful", "password": PASSWORD})
    assert posted.status_code == 302
    assert posted["Location"].startswith("/accounts/login/")
    assert client.get("/sites/careful.example/settings/").status_code == 302
    assert client.get("/admin/").status_code == 302


def test_a_session_opened_without_the_code_is_logged_out_everywhere(user, device):
    for path in ("/", "/sites/careful.example/settings/", "/admin/", "/accounts/password_change/"):
        client = Client()
        client.force_login(user)  # as any login path that skipped the code would
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert "login" in answer["Location"], path
        # The session itself is gone, not only this one answer.
        assert "_auth_user_id" not in client.session


def test_a_session_opened_with_the_code_reaches_every_page(device):
    client = verified_client(device)
    for path in ("/", "/sites/careful.example/settings/", "/admin/", "/accounts/two-factor/"):
        assert client.get(path).status_code == 200, path


def test_turning_on_ends_the_password_only_sessions_of_the_user(user):
    elsewhere = Client()
    elsewhere.force_login(user)
    assert elsewhere.get("/").status_code == 200
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    assert elsewhere.get("/").status_code == 302


def test_a_new_authenticator_needs_a_code_from_the_current_one_and_replaces_it(user, device):
    client = verified_client(device)
    client.post("/accounts/two-factor/start", {"password": PASSWORD})
    client.post("/accounts/two-factor/start", {"password": PASSWORD, "token": wrong(device)})
    assert not TOTPDevice.objects.filter(user=user, confirmed=False).exists()
    # The login used the current code; a code is good once, so the next one is the following step's.
    client.post("/accounts/two-factor/start", {"password": "not it", "token": code(device, offset=1)})
    assert not TOTPDevice.objects.filter(user=user, confirmed=False).exists()
    client.post("/accounts/two-factor/start", {"password": PASSWORD, "token": code(device, offset=1)})
    new = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post("/accounts/two-factor/confirm", {"token": code(new)})
    assert list(TOTPDevice.objects.filter(user=user)) == [new]
    new.refresh_from_db()
    assert log_in(Client(), code(new, offset=1)).status_code == 302


def test_turning_it_off_needs_the_password_and_a_code_of_the_confirmed_authenticator(user, device):
    client = verified_client(device)
    client.post("/accounts/two-factor/disable", {"password": PASSWORD, "token": "nonsense"})
    client.post("/accounts/two-factor/disable", {"password": "not it", "token": code(device, offset=1)})
    client.post("/accounts/two-factor/disable", {"token": code(device, offset=1)})
    # A device set up but never confirmed is not the second factor: its code turns nothing off.
    pending = TOTPDevice.objects.create(user=user, name="new", confirmed=False)
    client.post("/accounts/two-factor/disable", {"password": PASSWORD, "token": code(pending)})
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    client.post("/accounts/two-factor/disable", {"password": PASSWORD, "token": code(device, offset=1)})
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert log_in(Client()).status_code == 302


def test_two_factor_pages_need_login_and_posts(client):
    assert client.get("/accounts/two-factor/").status_code == 302
    client.force_login(UserFactory())
    assert client.get("/accounts/two-factor/start").status_code == 405
