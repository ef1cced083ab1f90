"""The ingest shortcut: event POSTs skip the sign-in middleware, keep security and CORS headers."""

from __future__ import annotations

import json

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import path

from tests.factories import SiteFactory, UserFactory
from tracker.ingest.middleware import IngestShortcutMiddleware
from tracker.models import Event

pytestmark = pytest.mark.django_db

PAGEVIEW = {"domain": "blog.example", "name": "pageview", "url": "https://blog.example/post"}


@pytest.fixture
def site():
    return SiteFactory(domain="blog.example")


def post_event(client, **headers):
    return client.post("/api/event", data=json.dumps(PAGEVIEW), content_type="text/plain", headers=headers)


def test_an_event_is_answered_without_the_sign_in_middleware(client, site):
    client.force_login(UserFactory())
    response = post_event(client, Origin="https://blog.example")
    assert response.status_code == 202
    assert Event.objects.filter(site=site).count() == 1
    # What the skipped middleware would have added: CSP, the frame policy, a session's cookie dependence.
    assert "Content-Security-Policy" not in response
    assert "X-Frame-Options" not in response
    assert "Cookie" not in response.get("Vary", "")
    # What runs before the shortcut still does.
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_other_routes_go_through_the_whole_stack(client):
    response = client.get("/js/script.js")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response


def test_requests_to_the_microanalytics_host_are_left_to_its_urlconf(client, site, settings):
    settings.MICROANALYTICS_HOST = "ma.example"
    settings.ALLOWED_HOSTS = ["testserver", "ma.example"]
    response = client.post("/api/event", data=json.dumps(PAGEVIEW), content_type="text/plain", HTTP_HOST="ma.example")
    # There the path names µAnalytics' property "event" of a website "api", which refuses this body.
    assert response.status_code == 400
    assert "X-Frame-Options" in response
    assert not Event.objects.exists()


urlpatterns = [path("elsewhere", lambda request: HttpResponse("elsewhere"))]


def test_a_urlconf_without_the_ingest_routes_passes_everything_on(settings):
    settings.ROOT_URLCONF = __name__
    middleware = IngestShortcutMiddleware(lambda request: HttpResponse("passed on", status=418))
    assert middleware.views == {}
    response = middleware(RequestFactory().post("/api/event", data="{}", content_type="text/plain"))
    assert response.status_code == 418
