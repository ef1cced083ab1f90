"""Optional two-factor login: a TOTP authenticator app per user (django-otp).

A user without a confirmed device logs in with a password as before; one with a device must
also give a current code, on every way in: the login page asks for it, Django admin's login
sends people to that page, and `RequireVerifiedSession` ends any session of such a user that
was opened without a code (whatever opened it), so no page treats it as logged in.

Setting up shows a QR code and asks for a code before the device counts, so a mistyped secret
cannot lock anyone out. Changing it is guarded as a login is: setting up needs the password
(and, to replace a working authenticator, a code from it); turning it off needs both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.forms import OTPAuthenticationForm
from django_otp.plugins.otp_totp.models import TOTPDevice

from analytics_site.login_guard import attempts_left
from analytics_site.sso import SSO_SESSION


class LoginForm(OTPAuthenticationForm):
    """Username and password, plus a code only for users who set up an authenticator."""

    otp_token = forms.CharField(
        required=False,
        label="Authentication code",
        help_text="Only if you set up two-factor login.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_otp(self, user: Any) -> None:
        if user is None or not user_has_device(user):
            return
        # One authenticator per user: the code is checked against it, no device to pick.
        device = _confirmed(user)
        self.cleaned_data["otp_device"] = device.persistent_id if device else None
        super().clean_otp(user)


LAST_ATTEMPT = "One more wrong password locks this account on this device for an hour. Forgot it? Reset it below."


class LoginView(auth_views.LoginView):
    form_class = LoginForm

    def form_invalid(self, form: Any) -> HttpResponse:
        username = form.data.get("username", "")
        if username and attempts_left(self.request, username) == 1:
            form.add_error(None, LAST_ATTEMPT)
        return super().form_invalid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Read per request, not at import: the page links sign-up only while it is open.
        return {
            **super().get_context_data(**kwargs),
            "registration_open": settings.REGISTRATION == "open",
            "sso_name": settings.OIDC_PROVIDER_NAME if settings.OIDC_ISSUER else "",
            "sso_failed": self.request.GET.get("sso") == "failed",
        }


def admin_login(request: HttpRequest) -> HttpResponse:
    """Django admin's login page, replaced: people log in on the project's page, which asks for the code."""
    target = request.GET.get("next") or "/admin/"
    # The login view checks `next` itself and ignores one pointing elsewhere.
    return redirect(f"{reverse('login')}?{urlencode({'next': target})}")


class RequireVerifiedSession:
    """Log out a session whose user has an authenticator but did not give a code when it was opened.

    Runs after django-otp's middleware. Only requests carrying a session cookie are looked at, so
    the ingest endpoints pay nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            user = request.user
            # A session the OpenID Connect provider opened follows the provider's own second-factor policy.
            from_provider = request.session.get(SSO_SESSION, False)
            if user.is_authenticated and not from_provider and not user.is_verified() and user_has_device(user):  # type: ignore[attr-defined]
                logout(request)
        return self.get_response(request)


class CodeForm(forms.Form):
    token = forms.CharField(max_length=8, label="Code from the app")


class PasswordForm(forms.Form):
    password = forms.CharField(
        label="Your password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class PasswordAndCodeForm(PasswordForm, CodeForm):
    pass


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _pending(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def _confirmed(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def _code_matches(device: TOTPDevice | None, form: forms.Form) -> bool:
    """Whether the form's code is current for this device (django-otp throttles repeated misses)."""
    if device is None or not form.is_valid():
        return False
    return bool(device.verify_token(form.cleaned_data["token"].strip()))


def _password_matches(user: User, form: forms.Form) -> bool:
    return form.is_valid() and user.check_password(form.cleaned_data["password"])


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """The user's two-factor status; while setting up, the QR code to scan."""
    user = _user(request)
    pending = _pending(user)
    enabled = _confirmed(user) is not None
    context: dict[str, Any] = {
        "enabled": enabled,
        "pending": pending,
        "form": CodeForm(),
        "start_form": PasswordAndCodeForm() if enabled else PasswordForm(),
        "disable_form": PasswordAndCodeForm(),
    }
    if pending is not None:
        # segno writes the SVG from the otpauth URL; no script, so the page's CSP holds.
        context["qr_svg"] = mark_safe(segno.make(pending.config_url).svg_inline(scale=4))  # noqa: S308
    return render(request, "registration/two_factor.html", context)


@login_required
@require_POST
def two_factor_start(request: HttpRequest) -> HttpResponse:
    """Begin setting up an authenticator: the password again, and a code from the current one if any."""
    user = _user(request)
    current = _confirmed(user)
    form = PasswordAndCodeForm(request.POST) if current is not None else PasswordForm(request.POST)
    if not _password_matches(user, form) or (current is not None and not _code_matches(current, form)):
        wanted = "your password and a current code from your app" if current else "your password"
        messages.error(request, f"Give {wanted} to set up an authenticator.")
        return redirect("two-factor")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return redirect("two-factor")


@login_required
@require_POST
def two_factor_confirm(request: HttpRequest) -> HttpResponse:
    """Confirm the new authenticator with a code from it; it replaces the previous one."""
    user = _user(request)
    pending = _pending(user)
    if pending is not None and _code_matches(pending, CodeForm(request.POST)):
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        pending.confirmed = True
        pending.save(update_fields=["confirmed"])
        # This session just proved it holds the device; sessions opened with a password alone end.
        otp_login(request, pending)
        messages.success(request, "Two-factor login is on: logging in now also asks for a code.")
    else:
        messages.error(request, "That code did not match; scan the QR code again or wait for the next code.")
    return redirect("two-factor")


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    """Turn two-factor login off: the password and a current code from the confirmed authenticator."""
    user = _user(request)
    form = PasswordAndCodeForm(request.POST)
    if _password_matches(user, form) and _code_matches(_confirmed(user), form):
        TOTPDevice.objects.filter(user=user).delete()
        messages.success(request, "Two-factor login is off.")
    else:
        messages.error(request, "Give your password and a current code from the app to turn two-factor login off.")
    return redirect("two-factor")
