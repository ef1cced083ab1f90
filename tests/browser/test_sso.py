"""Single sign-on end to end: Chromium clicks "Sign in with Corp" and signs in at a real OpenID Connect
provider the test starts on 127.0.0.1 (tests/oidc_provider_site), then lands back in Footfall."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from analytics_site import sso
from tests.browser.test_dashboard import screenshot
from tests.factories import MembershipFactory, SiteFactory, UserFactory
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider
from tests.oidc_provider_site.serve import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def provider(live_server, tmp_path_factory) -> Iterator[OidcProvider]:
    started = OidcProvider(Path(tmp_path_factory.mktemp("provider")), f"{live_server.url}/accounts/sso/callback")
    try:
        started.wait_ready()
        yield started
    finally:
        started.stop()


@pytest.fixture
def corp(provider, settings) -> Iterator[OidcProvider]:
    """Footfall configured for the test provider, as "Corp"."""
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Corp"
    sso.discovery.cache_clear()
    yield provider
    sso.discovery.cache_clear()


def sign_in_at_corp(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    screenshot(page, "sso-login")
    page.click("text=Sign in with Corp")
    expect(page.locator("h1")).to_have_text("Corp sign-in")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    screenshot(page, f"sso-provider-{username}")
    page.click("button[type=submit]")


def test_an_account_is_linked_by_its_verified_email_and_keeps_the_providers_policy(page: Page, live_server, corp):
    """alice has a Footfall account with an authenticator: the provider's sign-in is enough (its policy)."""
    alice = UserFactory(username="alice-footfall", email="Alice@corp.example")
    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    MembershipFactory(user=alice, site=SiteFactory(domain="blog.example"), role="viewer")
    sign_in_at_corp(page, live_server, "alice")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".site-row .domain")).to_have_text("blog.example")
    screenshot(page, "sso-signed-in")
    page.goto(f"{live_server.url}/sites/blog.example/")
    expect(page).to_have_url(f"{live_server.url}/sites/blog.example/")  # not logged out for lack of a code
    assert User.objects.count() == 1


def test_unknown_people_get_an_account_only_when_allowed(page: Page, live_server, corp, settings):
    settings.OIDC_CREATE_USERS = True
    settings.OIDC_ALLOWED_EMAIL_DOMAINS = ["corp.example"]
    sign_in_at_corp(page, live_server, "bob")  # elsewhere.example, in no allowed group
    expect(page.locator("#sso-failed")).to_be_visible()
    assert not User.objects.exists()
    page.context.clear_cookies()
    sign_in_at_corp(page, live_server, "alice")
    expect(page.locator("h1")).to_have_text("Your sites")
    assert User.objects.get().email == "alice@corp.example"


def test_an_unverified_email_links_no_account(page: Page, live_server, corp):
    UserFactory(username="owner", email="owner@example.com")
    sign_in_at_corp(page, live_server, "mallory")  # claims owner@example.com, unverified
    expect(page.locator("#sso-failed")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
