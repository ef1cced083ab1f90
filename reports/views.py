"""The email page of a site (each member's own reports and alerts; owners also mail addresses of no user)
and the unsubscribe page every mail links to.

Forms post to small actions that change one thing through reports/services.py, then send the browser back
to the page (post/redirect/get). The unsubscribe page needs no login: its signed token is the proof.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from reports import services
from reports.models import Alert, Subscription
from reports.unsubscribe import BadToken, Target, read_token
from sites.models import Site
from sites.selectors import site_for_user, user_owns


class SubscriptionsForm(forms.Form):
    week = forms.BooleanField(label="Weekly report (Mondays)", required=False)
    month = forms.BooleanField(label="Monthly report (on the 1st)", required=False)
    send_empty = forms.BooleanField(label="Also for a period without visitors", required=False)


class RecipientForm(forms.Form):
    email = forms.EmailField(label="Address", max_length=254)
    period = forms.ChoiceField(choices=Subscription.Period.choices)
    send_empty = forms.BooleanField(label="Also for a period without visitors", required=False)


class AlertForm(forms.Form):
    kind = forms.ChoiceField(label="When", choices=Alert.Kind.choices)
    threshold = forms.IntegerField(label="Visitors or hours", min_value=1, max_value=1_000_000)
    cooldown_hours = forms.IntegerField(
        label="At most one mail every (hours)", min_value=1, max_value=24 * 30, initial=24
    )
    email = forms.EmailField(label="To (owners: an address of no user; empty: you)", required=False, max_length=254)


def _user(request: HttpRequest) -> User:
    """The signed-in user (every view here but unsubscribe requires login)."""
    assert isinstance(request.user, User)
    return request.user


@login_required
def email_page(request: HttpRequest, domain: str) -> HttpResponse:
    site = site_for_user(request.user, domain)
    user = _user(request)
    own = {sub.period: sub for sub in Subscription.objects.filter(site=site, user=user)}
    initial = {"week": "week" in own, "month": "month" in own, "send_empty": any(s.send_empty for s in own.values())}
    owner = user_owns(user, site)
    context = {
        "site": site,
        "owner": owner,
        "subscriptions_form": SubscriptionsForm(initial=initial),
        "recipient_form": RecipientForm(),
        "alert_form": AlertForm(),
        "addresses": Subscription.objects.filter(site=site, user=None) if owner else [],
        "alerts": Alert.objects.filter(site=site).select_related("user")
        if owner
        else Alert.objects.filter(site=site, user=user),
        "no_address": not user.email,
    }
    return render(request, "reports/pages/email.html", context)


Action = Callable[..., None]


def member_action(action: Action) -> Callable[..., HttpResponse]:
    """A POST of a member of the site: the action gets the site, then the browser goes back to the page."""

    @login_required
    @require_POST
    @wraps(action)
    def view(request: HttpRequest, domain: str, **arguments: Any) -> HttpResponse:
        site = site_for_user(request.user, domain)
        action(request, site, **arguments)
        return redirect("dashboard:email", site.domain)

    return view


def _valid(request: HttpRequest, form: forms.Form) -> bool:
    """Whether the form is valid; if not, its errors are shown on the next page."""
    for field, errors in form.errors.items():
        messages.error(request, f"{field}: {' '.join(str(error) for error in errors)}")
    return form.is_valid()


@member_action
def set_subscriptions(request: HttpRequest, site: Site) -> None:
    form = SubscriptionsForm(request.POST)
    if not _valid(request, form):
        return
    data = form.cleaned_data
    for period in Subscription.Period.values:
        services.subscription_set(
            site=site, user=_user(request), period=period, subscribed=data[period], send_empty=data["send_empty"]
        )
    messages.success(request, "Your reports are saved.")


@member_action
def add_recipient(request: HttpRequest, site: Site) -> None:
    if not user_owns(request.user, site):
        messages.error(request, "Only the site's owners mail addresses of no user.")
        return
    form = RecipientForm(request.POST)
    if not _valid(request, form):
        return
    try:
        sub = services.subscription_add_address(site=site, **form.cleaned_data)
    except services.ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{sub.email} gets the {sub.period}ly report.")


def _scope(request: HttpRequest, site: Site) -> User | None:
    """Whose rows the user may delete: any of the site's for an owner, else their own."""
    return None if user_owns(request.user, site) else _user(request)


@member_action
def delete_subscription(request: HttpRequest, site: Site, subscription_id: int) -> None:
    if services.subscription_delete(site=site, subscription_id=subscription_id, user=_scope(request, site)):
        messages.success(request, "Report subscription removed.")
    else:
        messages.error(request, "No such subscription.")


@member_action
def create_alert(request: HttpRequest, site: Site) -> None:
    form = AlertForm(request.POST)
    if not _valid(request, form):
        return
    email = form.cleaned_data.pop("email")
    if email and not user_owns(request.user, site):
        messages.error(request, "Only the site's owners mail addresses of no user.")
        return
    recipient: dict[str, Any] = {"email": email} if email else {"user": _user(request)}
    try:
        alert = services.alert_create(site=site, **form.cleaned_data, **recipient)
    except services.ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Alert added: mail to {alert.address}.")


@member_action
def delete_alert(request: HttpRequest, site: Site, alert_id: int) -> None:
    if services.alert_delete(site=site, alert_id=alert_id, user=_scope(request, site)):
        messages.success(request, "Alert removed.")
    else:
        messages.error(request, "No such alert.")


def _described(target: Target) -> str:
    """What the link ends, in words, or "" when it has ended already."""
    if target.kind == "subscription":
        sub = Subscription.objects.select_related("site").filter(id=target.id).first()
        return f"the {sub.period}ly report of {sub.site.domain}" if sub else ""
    alert = Alert.objects.select_related("site").filter(id=target.id).first()
    return f"the {alert.get_kind_display().lower()} alert of {alert.site.domain}" if alert else ""


# A mail client's one-click POST (RFC 8058) carries no CSRF token; the signed token is the proof.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page asking to confirm. POST (the page's button, or a mail client's one-click): unsubscribe.

    GET and HEAD change nothing: mail scanners open every link of a mail before its reader does."""
    try:
        target = read_token(token)
    except BadToken:
        return render(request, "reports/pages/unsubscribe.html", {"bad_token": True}, status=400)
    what = _described(target)
    if request.method == "POST":
        services.unsubscribe(target)
        return render(request, "reports/pages/unsubscribe.html", {"done": True, "what": what})
    return render(request, "reports/pages/unsubscribe.html", {"what": what, "token": token})
