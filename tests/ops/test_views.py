"""/healthz, /readyz and /metrics: the answers load balancers and Prometheus get, and who may scrape."""

from __future__ import annotations

import pytest

from ops import checks
from tests.principals import assert_project_error

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_lists_the_checks(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": True}}


def test_readyz_is_503_when_a_check_fails_and_shows_no_details(client, monkeypatch):
    failing = [checks.Check("database", False, "unreachable: db.internal:5432 refused")]
    monkeypatch.setattr(checks, "readiness", lambda: failing)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unready", "checks": {"database": False}}
    assert b"db.internal" not in response.content


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_other_methods_get_a_json_405(client, path):
    response = client.post(path)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, HEAD"
    assert_project_error(response)


def test_metrics_from_this_machine(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert b"footfall_check_ok" in response.content


def test_metrics_refused_from_elsewhere_without_a_token(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "metrics_local_only"


def test_metrics_refused_for_a_client_behind_a_local_proxy(client, settings):
    """nginx on this machine makes every connection local; the client it forwards is not."""
    settings.TRUSTED_PROXY_HOPS = 1
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 403
    forged = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert forged.status_code == 403, "a forged X-Forwarded-For does not make a remote connection local"


def test_metrics_with_a_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    remote = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert remote.status_code == 200
    for header in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}):
        response = client.get("/metrics", **header)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_metrics_token"


def test_probes_are_exempt_from_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301
