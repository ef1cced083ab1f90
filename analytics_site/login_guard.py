"""Login brute-force protection (django-axes) without storing anyone's address.

Axes counts failures per username and client address and keeps them in the database; it is
given a pseudonym instead of the address: a keyed hash shaped as an IPv6 address from the
unique-local range fd00::/8, stable per client (so lockouts work) and not reversible.

A new password lifts a user's lockouts (password reset and change both), so "reset your password"
is a way out; `manage.py axes_reset_username <name>` is the operator's.
"""

from __future__ import annotations

import hashlib
import ipaddress

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.forms import Form
from django.http import HttpRequest, HttpResponse

from tracker.ingest.validation import client_ip


def pseudonymous_address(address: str) -> str:
    digest = hashlib.blake2b(address.encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=15).digest()
    return str(ipaddress.IPv6Address(b"\xfd" + digest))


def login_client_address(request: HttpRequest) -> str:
    """AXES_CLIENT_IP_CALLABLE: the pseudonym of the address the request came from."""
    address = client_ip(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.TRUSTED_PROXY_HOPS,
    )
    return pseudonymous_address(address)


def attempts_left(request: HttpRequest, username: str) -> int:
    """How many wrong passwords this client may still send for the username before the lockout."""
    failures = (
        AccessAttempt.objects.filter(username=username, ip_address=login_client_address(request))
        .values_list("failures_since_start", flat=True)
        .first()
    )
    return max(settings.AXES_FAILURE_LIMIT - (failures or 0), 0)


def lift_lockouts(username: str) -> None:
    """Forget the username's failed logins, from every client."""
    reset(username=username)


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)
        lift_lockouts(self.request.user.get_username())
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)
        lift_lockouts(self.user.get_username())
        return response
