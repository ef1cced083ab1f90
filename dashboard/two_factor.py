"""Optional two-factor login: a TOTP authenticator app per user (django-otp).

A user without a confirmed device logs in with a password as before; one with a device must
also give a current code. Setting up shows a QR code and asks for a code before the device
counts, so a mistyped secret cannot lock anyone out.
"""

from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp import user_has_device
from django_otp.forms import OTPAuthenticationForm
from django_otp.plugins.otp_totp.models import TOTPDevice


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
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        self.cleaned_data["otp_device"] = device.persistent_id if device else None
        super().clean_otp(user)


class LoginView(auth_views.LoginView):
    form_class = LoginForm


class CodeForm(forms.Form):
    token = forms.CharField(max_length=8, label="Code from the app")


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _pending(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """The user's two-factor status; while setting up, the QR code to scan."""
    user = _user(request)
    pending = _pending(user)
    context: dict[str, Any] = {
        "enabled": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        "pending": pending,
        "form": CodeForm(),
    }
    if pending is not None:
        # segno writes the SVG from the otpauth URL; no script, so the page's CSP holds.
        context["qr_svg"] = mark_safe(segno.make(pending.config_url).svg_inline(scale=4))  # noqa: S308
    return render(request, "registration/two_factor.html", context)


@login_required
@require_POST
def two_factor_start(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return redirect("two-factor")


@login_required
@require_POST
def two_factor_confirm(request: HttpRequest) -> HttpResponse:
    pending = _pending(_user(request))
    form = CodeForm(request.POST)
    if pending is not None and form.is_valid() and pending.verify_token(form.cleaned_data["token"].strip()):
        pending.confirmed = True
        pending.save(update_fields=["confirmed"])
        messages.success(request, "Two-factor login is on: logging in now also asks for a code.")
    else:
        messages.error(request, "That code did not match; scan the QR code again or wait for the next code.")
    return redirect("two-factor")


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = CodeForm(request.POST)
    devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    token = form.cleaned_data["token"].strip() if form.is_valid() else ""
    if token and any(device.verify_token(token) for device in devices):
        TOTPDevice.objects.filter(user=user).delete()
        messages.success(request, "Two-factor login is off.")
    else:
        messages.error(request, "Give a current code from the app to turn two-factor login off.")
    return redirect("two-factor")
