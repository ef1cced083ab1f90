"""Single sign-on through an OpenID Connect provider (mozilla-django-oidc), configured by OIDC_* settings.

The provider's endpoints come from its discovery document (`<issuer>/.well-known/openid-configuration`),
read on the first sign-in and kept for the process. An account is found by the provider's verified
email; an unknown one is made only with OIDC_CREATE_USERS, and only for allowed email domains or groups.
A session opened this way follows the provider's policy for second factors: Footfall's own
authenticator code is asked for password logins only (dashboard/two_factor.py reads SSO_SESSION).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

logger = logging.getLogger(__name__)
# Set in the session of a login through the provider.
SSO_SESSION = "footfall_sso"
DISCOVERY_TIMEOUT_SECONDS = 5
# mozilla-django-oidc's setting names, and the discovery document's names for them.
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


@lru_cache(maxsize=4)
def discovery(issuer: str) -> dict[str, Any]:
    """Return the provider's discovery document; its issuer must be the one configured."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    response = requests.get(url, timeout=DISCOVERY_TIMEOUT_SECONDS)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    if document.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise ImproperlyConfigured(f"{url} names the issuer {document.get('issuer')!r}, not {issuer!r}.")
    return document


def setting(name: str, *default: Any) -> Any:
    """mozilla-django-oidc's settings, with the endpoints from discovery and the client from OIDC_* settings."""
    if name in ENDPOINTS:
        return discovery(settings.OIDC_ISSUER)[ENDPOINTS[name]]
    if name == "OIDC_RP_CLIENT_ID":
        return settings.OIDC_CLIENT_ID
    if name == "OIDC_RP_CLIENT_SECRET":
        return settings.OIDC_CLIENT_SECRET
    if name == "OIDC_CREATE_USER":
        return settings.OIDC_CREATE_USERS
    return getattr(settings, name, *default)


def allowed(claims: dict[str, Any]) -> bool:
    """Whether these claims may sign in: a verified email, in an allowed domain or group when any are set."""
    email = str(claims.get("email") or "")
    if not email or claims.get("email_verified") is not True:
        return False
    domains, groups = settings.OIDC_ALLOWED_EMAIL_DOMAINS, settings.OIDC_ALLOWED_GROUPS
    if not domains and not groups:
        return True
    in_domain = email.rpartition("@")[2].lower() in {d.lower() for d in domains}
    in_group = bool(set(claims.get("groups") or ()) & set(groups))
    return in_domain or in_group


class SsoBackend(OIDCAuthenticationBackend):
    """Sign-in by the provider: accounts linked by verified email, made only if OIDC_CREATE_USERS."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Unlike the parent, nothing is read from the provider here: Django builds every backend for a
        # password login too. The endpoints are looked up when a sign-in uses them.
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.UserModel = User

    get_settings = staticmethod(setting)

    def __getattr__(self, name: str) -> Any:
        if name in ENDPOINTS:
            return setting(name)
        raise AttributeError(name)

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if not enabled() or request is None or "code" not in request.GET:
            return None  # a password login, or SSO is off
        return super().authenticate(request, **kwargs)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        if str(payload.get("iss", "")).rstrip("/") != settings.OIDC_ISSUER.rstrip("/"):
            raise SuspiciousOperation("The ID token is from another issuer.")
        return payload

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return allowed(claims)

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        return User.objects.filter(email__iexact=str(claims["email"]), is_active=True)

    def create_user(self, claims: dict[str, Any]) -> User:
        email = str(claims["email"]).lower()
        wanted = str(claims.get("preferred_username") or email.partition("@")[0])[:150]
        username = wanted if not User.objects.filter(username__iexact=wanted).exists() else email[:150]
        return User.objects.create_user(username, email=email)


class SsoLoginView(OIDCAuthenticationRequestView):
    """Send the browser to the provider (404 while SSO is off)."""

    get_settings = staticmethod(setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except (requests.RequestException, ValueError, KeyError, ImproperlyConfigured):
            logger.warning("the OpenID Connect provider's discovery failed", exc_info=True)
            return redirect(settings.LOGIN_REDIRECT_URL_FAILURE)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        return super().get(request)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer: sign in, and mark the session as opened by the provider."""

    get_settings = staticmethod(setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            return super().get(request)
        except (requests.RequestException, ValueError, KeyError, ImproperlyConfigured):
            # The provider is unreachable or answers what no provider should: the login page says it failed.
            logger.warning("signing in through the OpenID Connect provider failed", exc_info=True)
            return self.login_failure()

    def login_success(self) -> HttpResponse:
        response: HttpResponse = super().login_success()
        self.request.session[SSO_SESSION] = True
        return response
