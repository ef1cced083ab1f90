"""Serve the µAnalytics API at the root of its own host when MICROANALYTICS_HOST names one."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port


class MicroanalyticsHostMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = settings.MICROANALYTICS_HOST
        if host:
            domain, _ = split_domain_port(request.META.get("HTTP_HOST", ""))
            if domain == host.lower():
                request.urlconf = "compat.host_urls"  # type: ignore[attr-defined]  # documented, not in the stubs
        return self.get_response(request)
