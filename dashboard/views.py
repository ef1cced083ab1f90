"""Dashboard pages. The per-site dashboards arrive with the stats layer; this is the shell."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.selectors import sites_for_user


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    sites = list(sites_for_user(request.user))
    return render(request, "dashboard/pages/site_list.html", {"sites": sites})
