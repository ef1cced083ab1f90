"""The page an invitation's link opens: who invites whom to which site, and the ways to accept it:
as the signed-in account the mail was sent to, or with a new account for that address (unless
REGISTRATION is closed). Logging in to an existing account goes through the usual login, second factor
included, and comes back here. With REGISTRATION=open, /accounts/signup/ makes accounts without one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.models import User
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from sites.invitations import (
    InvitationError,
    account_create,
    invitation_accept,
    invitation_accept_new_user,
    invitation_for_token,
)
from sites.models import Invitation

# A new account has no second factor yet; it logs in with the password only, as a new user would.
BACKEND = "django.contrib.auth.backends.ModelBackend"
TEMPLATE = "dashboard/pages/invitation.html"
# InvitationError codes and the status they answer with (others: 400).
STATUS = {"invitation_invalid": 404, "wrong_account": 403, "registration_closed": 403}


class NewAccountForm(forms.Form):
    username = forms.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    password1 = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label="Password again", strip=False, widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


def _page(
    request: HttpRequest, invitation: Invitation, form: NewAccountForm, error: str = "", status: int = 200
) -> HttpResponse:
    context = {"invitation": invitation, "form": form, "error": error, "registration": settings.REGISTRATION}
    return render(request, TEMPLATE, context, status=status)


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Show the invitation (404 with the reason once it cannot be used); POST `action=accept` or `create`."""
    try:
        found = invitation_for_token(token, timezone.now())
    except InvitationError as exc:
        return render(request, TEMPLATE, {"error": exc.message}, status=404)
    action = request.POST.get("action", "")
    form = NewAccountForm(request.POST if action == "create" else None)
    if request.method == "GET":
        return _page(request, found, form)
    try:
        if action == "accept" and isinstance(request.user, User):
            site = invitation_accept(token=token, user=request.user).site
            return redirect("dashboard:site", site.domain)
        if action == "create" and form.is_valid():
            user = invitation_accept_new_user(
                token=token, username=form.cleaned_data["username"], password=form.cleaned_data["password1"]
            )
            login(request, user, backend=BACKEND)
            return redirect("dashboard:site", found.site.domain)
    except InvitationError as exc:
        if exc.field in form.fields:
            form.add_error(exc.field, exc.message)
            return _page(request, found, form, status=400)
        return _page(request, found, form, exc.message, STATUS.get(exc.code, 400))
    error = "" if form.errors else "Log in, or make an account, to accept."
    return _page(request, found, form, error, status=400)


class SignupForm(NewAccountForm):
    email = forms.EmailField(max_length=254)

    field_order = ["username", "email", "password1", "password2"]


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Open sign-up, only while REGISTRATION=open (404 otherwise); the new account adds its first site next."""
    if settings.REGISTRATION != "open":
        raise Http404("Accounts are made by invitation here.")
    form = SignupForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            user = account_create(username=data["username"], email=data["email"], password=data["password1"])
        except InvitationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            login(request, user, backend=BACKEND)
            return redirect("dashboard:add-site")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200)
