"""Single sign-on's rules without a provider: who may sign in, how an account is found or made, and that
nothing answers (or is read from a provider) while it is off. tests/browser/test_sso.py runs it end to end."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import RequestFactory

from analytics_site import sso
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VERIFIED = {"email": "alice@corp.example", "email_verified": True}


@pytest.mark.parametrize(
    ("claims", "domains", "groups", "expected"),
    [
        (VERIFIED, [], [], True),
        ({"email": "alice@corp.example", "email_verified": False}, [], [], False),
        ({"email": "alice@corp.example"}, [], [], False),
        ({"email_verified": True}, [], [], False),
        (VERIFIED, ["Corp.example"], [], True),
        (VERIFIED, ["other.example"], [], False),
        ({**VERIFIED, "groups": ["analytics"]}, ["other.example"], ["analytics"], True),
        ({**VERIFIED, "groups": ["sales"]}, [], ["analytics"], False),
    ],
)
def test_who_may_sign_in(settings, claims, domains, groups, expected):
    settings.OIDC_ALLOWED_EMAIL_DOMAINS = domains
    settings.OIDC_ALLOWED_GROUPS = groups
    assert sso.allowed(claims) is expected


def test_accounts_are_found_by_email_among_active_users():
    alice = UserFactory(username="alice", email="Alice@Corp.example")
    UserFactory(username="gone", email="alice@corp.example", is_active=False)
    assert list(sso.SsoBackend().filter_users_by_claims(VERIFIED)) == [alice]


def test_a_new_account_takes_the_providers_username_unless_taken():
    backend = sso.SsoBackend()
    assert backend.create_user({**VERIFIED, "preferred_username": "alice"}).username == "alice"
    second = backend.create_user({"email": "Alice2@corp.example", "preferred_username": "alice"})
    assert (second.username, second.email) == ("alice2@corp.example", "alice2@corp.example")
    assert not second.has_usable_password()


def test_a_password_login_reads_nothing_from_the_provider(settings, monkeypatch):
    settings.OIDC_ISSUER = "http://127.0.0.1:9/o"
    monkeypatch.setattr(sso, "discovery", lambda issuer: pytest.fail("discovery read"))
    request = RequestFactory().post("/accounts/login/")
    assert sso.SsoBackend().authenticate(request, username="x", password="y") is None


def test_while_off_the_login_page_offers_no_provider_and_its_routes_answer_404(client, settings):
    settings.OIDC_ISSUER = ""
    assert "Sign in with" not in client.get("/accounts/login/").content.decode()
    assert client.get("/accounts/sso/").status_code == 404
    assert client.get("/accounts/sso/callback", {"code": "x", "state": "y"}).status_code == 404
    assert not User.objects.exists()


def test_an_unreachable_provider_sends_people_back_to_the_login_page(client, settings):
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings.OIDC_ISSUER = f"http://127.0.0.1:{port}/o"
    sso.discovery.cache_clear()
    for path in ("/accounts/sso/", "/accounts/sso/callback?code=x&state=y"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert "failed" in client.get("/accounts/login/?sso=failed").content.decode()
    sso.discovery.cache_clear()
