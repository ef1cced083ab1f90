"""A small Django site that uses footfall_client's middleware, served in a subprocess by serve_site.py.

Its settings, URLs and views are in this one module. Footfall's address and key come from the
environment (FOOTFALL_URL, FOOTFALL_API_KEY); the site sits behind one proxy of its own.
"""

from __future__ import annotations

import os
from dataclasses import asdict

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from footfall_client.django import get_client, track_event

SECRET_KEY = "a test site's key"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = __name__
INSTALLED_APPS: list[str] = []
MIDDLEWARE = ["footfall_client.django.FootfallMiddleware"]
USE_TZ = True
FOOTFALL = {
    "URL": os.environ.get("FOOTFALL_URL", ""),
    "API_KEY": os.environ.get("FOOTFALL_API_KEY", ""),
    "DOMAIN": "shop.example",
    "PROXY_DEPTH": 1,
    "FLUSH_INTERVAL": 60.0,
}


def html(text: str) -> HttpResponse:
    return HttpResponse(f"<!doctype html><title>Shop</title><p>{text}</p>")


def home(request: HttpRequest) -> HttpResponse:
    return html("Welcome")


def pricing(request: HttpRequest) -> HttpResponse:
    return html("Pricing")


def signup(request: HttpRequest) -> HttpResponse:
    track_event(request, "Signup", props={"plan": request.POST.get("plan", "free")})
    return html("Thanks")


def status(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def flush(request: HttpRequest) -> JsonResponse:
    """Send what the client holds and report its counters (the tests read Footfall's tables next)."""
    client = get_client()
    done = client.flush(timeout=30)
    return JsonResponse({"flushed": done, **asdict(client.stats)})


urlpatterns = [
    path("", home),
    path("pricing/", pricing),
    path("signup/", signup),
    path("api/status", status),
    path("static/site.css", home),  # HTML on purpose: the path alone must exclude it
    path("admin/", home),
    path("healthz", home),
    path("flush/", flush),
]
