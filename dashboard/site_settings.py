"""A site's settings page, for its owners: snippet and install check, time zone, members, API keys, share links.

Each form posts to its own small view that changes one thing through a service and redirects
back (a new key's secret is the exception: it is shown once, on the page the POST renders).
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from sites import services as access
from sites.keys import api_key_create, api_key_revoke
from sites.models import ApiKey, Membership, Site
from sites.selectors import site_for_owner
from tracker.lifecycle.deletion import site_delete, site_delete_data
from tracker.models import Event

TIMEZONES = sorted(zoneinfo.available_timezones())


class TimezoneForm(forms.Form):
    timezone = forms.ChoiceField(choices=[(zone, zone) for zone in TIMEZONES])


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Membership.Role.choices)


class RetentionForm(forms.Form):
    retention_days = forms.IntegerField(min_value=1, max_value=36_500, required=False)
    archive_retention_days = forms.IntegerField(min_value=1, max_value=36_500, required=False)


class ConfirmForm(forms.Form):
    """Destructive actions are confirmed by typing the site's domain."""

    confirm = forms.CharField(max_length=253)

    def __init__(self, *args: Any, site: Site, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site = site

    def clean_confirm(self) -> str:
        if self.cleaned_data["confirm"].strip() != self.site.domain:
            raise forms.ValidationError(f"Type {self.site.domain} to confirm.")
        return self.site.domain


class KeyForm(forms.Form):
    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple)


def _page(request: HttpRequest, site: Site, **extra: Any) -> HttpResponse:
    last_event = Event.objects.filter(site=site).order_by("-timestamp").values_list("timestamp", flat=True).first()
    context = {
        "site": site,
        "script_url": request.build_absolute_uri(reverse("snippet")),
        "last_event": last_event,
        "timezone_form": TimezoneForm(initial={"timezone": site.timezone}),
        "member_form": MemberForm(initial={"role": Membership.Role.VIEWER}),
        "key_form": KeyForm(initial={"scopes": [ApiKey.Scope.STATS_READ]}),
        "members": site.memberships.select_related("user").order_by("user__username"),
        "keys": ApiKey.objects.filter(user=_user(request), sites=site).order_by("-created"),
        "share_links": site.share_links.filter(revoked__isnull=True),
        "retention_form": RetentionForm(
            initial={"retention_days": site.retention_days, "archive_retention_days": site.archive_retention_days}
        ),
        **extra,
    }
    return render(request, "dashboard/pages/site_settings.html", context)


def _user(request: HttpRequest) -> User:
    """The signed-in user (every view here requires login)."""
    assert isinstance(request.user, User)
    return request.user


def _back(site: Site) -> HttpResponse:
    return redirect("dashboard:settings", site.domain)


def _invalid(request: HttpRequest, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        messages.error(request, f"{field}: {' '.join(str(error) for error in errors)}")


@login_required
def settings_page(request: HttpRequest, domain: str) -> HttpResponse:
    return _page(request, site_for_owner(request.user, domain))


@login_required
@require_POST
def set_timezone(request: HttpRequest, domain: str) -> HttpResponse:
    site = site_for_owner(request.user, domain)
    form = TimezoneForm(request.POST)
    if form.is_valid():
        site.timezone = form.cleaned_data["timezone"]
        site.save(update_fields=["timezone"])
        messages.success(request, f"Days now start at midnight in {site.timezone}.")
    else:
        _invalid(request, form)
    return _back(site)


@login_required
@require_POST
def set_member(request: HttpRequest, domain: str) -> HttpResponse:
    site = site_for_owner(request.user, domain)
    form = MemberForm(request.POST)
    if not form.is_valid():
        _invalid(request, form)
        return _back(site)
    try:
        membership = access.membership_set(site=site, **form.cleaned_data)
        messages.success(request, f"{membership.user.username} is now {membership.get_role_display().lower()}.")
    except access.AccessError as exc:
        messages.error(request, str(exc))
    return _back(site)


@login_required
@require_POST
def remove_member(request: HttpRequest, domain: str, membership_id: int) -> HttpResponse:
    site = site_for_owner(request.user, domain)
    try:
        access.membership_remove(site=site, membership_id=membership_id)
        messages.success(request, "Member removed.")
    except access.AccessError as exc:
        messages.error(request, str(exc))
    return _back(site)


@login_required
@require_POST
def create_key(request: HttpRequest, domain: str) -> HttpResponse:
    site = site_for_owner(request.user, domain)
    form = KeyForm(request.POST)
    if not form.is_valid():
        _invalid(request, form)
        return _back(site)
    key, secret = api_key_create(user=_user(request), sites=[site], **form.cleaned_data)
    # Shown once, on this response only; the key itself keeps nothing but its hash.
    return _page(request, site, new_key=key, new_secret=secret)


@login_required
@require_POST
def revoke_key(request: HttpRequest, domain: str, prefix: str) -> HttpResponse:
    site = site_for_owner(request.user, domain)
    key = ApiKey.objects.filter(user=_user(request), sites=site, prefix=prefix).first()
    if key is None:
        messages.error(request, "No such key.")
    else:
        api_key_revoke(key=key)
        messages.success(request, f"Key {key.name} revoked.")
    return _back(site)


@login_required
@require_POST
def create_share_link(request: HttpRequest, domain: str) -> HttpResponse:
    site = site_for_owner(request.user, domain)
    access.share_link_create(site)
    messages.success(request, "Share link created. Anyone with it can read this site's dashboard.")
    return _back(site)


@login_required
@require_POST
def revoke_share_link(request: HttpRequest, domain: str, link_id: int) -> HttpResponse:
    site = site_for_owner(request.user, domain)
    access.share_link_revoke(site=site, link_id=link_id)
    messages.success(request, "Share link revoked.")
    return _back(site)


@login_required
@require_POST
def set_retention(request: HttpRequest, domain: str) -> HttpResponse:
    site = site_for_owner(request.user, domain)
    form = RetentionForm(request.POST)
    if form.is_valid():
        site.retention_days = form.cleaned_data["retention_days"]
        site.archive_retention_days = form.cleaned_data["archive_retention_days"]
        site.save(update_fields=["retention_days", "archive_retention_days"])
        messages.success(request, "Retention saved; older raw events go within the hour (rollups stay).")
    else:
        _invalid(request, form)
    return _back(site)


@login_required
@require_POST
def delete_data(request: HttpRequest, domain: str) -> HttpResponse:
    site = site_for_owner(request.user, domain)
    form = ConfirmForm(request.POST, site=site)
    if not form.is_valid():
        _invalid(request, form)
        return _back(site)
    events = site_delete_data(site).get("events", 0)
    messages.success(request, f"Deleted {events:,} events of {site.domain} and everything made from them.")
    return _back(site)


@login_required
@require_POST
def delete_site(request: HttpRequest, domain: str) -> HttpResponse:
    site = site_for_owner(request.user, domain)
    form = ConfirmForm(request.POST, site=site)
    if not form.is_valid():
        _invalid(request, form)
        return _back(site)
    site_delete(site)
    messages.success(request, f"{domain} and all its data are deleted.")
    return redirect("dashboard:site-list")
