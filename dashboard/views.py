"""Dashboard pages. The per-site dashboards arrive with the stats layer; this is the shell."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from dashboard.selectors import sites_for_user
from tracker.models import Event, Site
from tracker.sites import DEMO_DOMAIN


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    sites = list(sites_for_user(request.user))
    return render(request, "dashboard/pages/site_list.html", {"sites": sites})


def demo(request: HttpRequest, rest: str = "") -> HttpResponse:
    """A page carrying the snippet for the demo site, to watch events arrive (local use only)."""
    if not settings.DEBUG:
        raise Http404
    site = get_object_or_404(Site, domain=DEMO_DOMAIN)
    events = Event.objects.filter(site=site).order_by("-timestamp", "-id")[:15]
    return render(request, "dashboard/pages/demo.html", {"site": site, "events": events})
