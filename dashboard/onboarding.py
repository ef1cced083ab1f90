"""Adding a site from the browser: a form (domain, and the time zone the browser reports), then the
snippet with a live install check that polls the site's own arrivals until its first event is in.

The check reads our own data only (stats/arrivals.py), so the page makes no request to the site.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dashboard.site_settings import timezone_choices
from sites.selectors import site_for_owner
from sites.services import site_create
from stats.arrivals import install_check


class AddSiteForm(forms.Form):
    domain = forms.CharField(
        max_length=253,
        help_text="As the snippet will report it, e.g. blog.example (stored lower case, without www.)",
    )
    # The page's script selects the browser's own zone while the field is untouched.
    timezone = forms.ChoiceField(
        label="Time zone", choices=timezone_choices, initial="UTC", help_text="The site's days follow it"
    )


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    """Show the service's validation errors beside the fields they concern."""
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else "domain", messages)


@login_required
@require_http_methods(["GET", "POST"])
def add_site(request: HttpRequest) -> HttpResponse:
    """Add a site owned by the signed-in user, then show its snippet; a refused form answers 400."""
    form = AddSiteForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            site = site_create(owner=_user(request), **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("dashboard:setup", site.domain)
    return render(request, "dashboard/pages/add_site.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_GET
def setup(request: HttpRequest, domain: str) -> HttpResponse:
    """The snippet of a site, with a copy button and a check that waits for its first event."""
    site = site_for_owner(request.user, domain)
    context: dict[str, Any] = {
        "site": site,
        "script_url": request.build_absolute_uri(reverse("snippet")),
        "status_url": reverse("dashboard:setup-status", args=[site.domain]),
    }
    return render(request, "dashboard/pages/setup.html", context)


@login_required
@require_GET
def setup_status(request: HttpRequest, domain: str) -> JsonResponse:
    """Whether the site received an event yet, and what was dropped in the last 24 hours, by reason."""
    site = site_for_owner(request.user, domain)
    check = install_check(site.id, timezone.now())
    return JsonResponse(
        {"received": check.received, "stored": check.arrivals.stored, "dropped": check.arrivals.dropped}
    )
