"""Answer the ingest endpoints ahead of the middleware they do not use.

An event POST uses no session, login, CSRF token (its views are exempt), message, two-factor
check, login lockout, CSP or frame policy: those matter for pages people sign in to. Running
them costs about a sixth of each ingest request (bench/ingest.py), the busiest request by far.
This middleware sits after the middleware the endpoints do use (security headers, CORS) and
hands their paths straight to their views; every other request goes on through the stack.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, resolve, reverse

View = Callable[[HttpRequest], HttpResponse]


class IngestShortcutMiddleware:
    def __init__(self, get_response: View) -> None:
        self.get_response = get_response
        # Paths and views as the URLconf has them, so a moved or replaced route changes here too.
        self.views: dict[str, View] = {}
        for name in ("ingest-event", "ingest-events"):
            with contextlib.suppress(NoReverseMatch):  # a URLconf without the ingest routes (a test's)
                path = reverse(name)
                self.views[path] = resolve(path).func

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = self.views.get(request.path_info)
        # A request to the µAnalytics host has a URLconf of its own (compat.middleware).
        if view is None or hasattr(request, "urlconf"):
            return self.get_response(request)
        return view(request)
