"""/healthz, /readyz and /metrics: thin views over the checks and the collector, for load balancers and
Prometheus. They answer JSON errors like the rest of Footfall and take no session or CSRF token."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from analytics_site.errors import ApiError, error_response
from ops import checks, collector
from tracker.ingest.validation import client_ip

View = Callable[[HttpRequest], HttpResponse]


def _read_only(view: View) -> View:
    """Answer GET and HEAD; other methods get the project's JSON 405, and no answer is cached."""

    @wraps(view)
    @csrf_exempt
    @never_cache
    def wrapped(request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            response = error_response(ApiError("method_not_allowed", "Use GET.", status=405))
            response["Allow"] = "GET, HEAD"
            return response
        return view(request)

    return wrapped


@_read_only
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers requests. Touches nothing else, so a database outage restarts nothing."""
    return JsonResponse({"status": "ok"})


@_read_only
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 when every check passes, else 503; the body lists the checks (details: manage.py doctor)."""
    results = checks.readiness()
    ready = all(check.ok for check in results)
    body = {"status": "ready" if ready else "unready", "checks": {check.name: check.ok for check in results}}
    return JsonResponse(body, status=200 if ready else 503)


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _may_scrape(request: HttpRequest) -> None:
    """Raise unless the request carries METRICS_TOKEN or, without a token set, comes from this machine.

    Both the connection and the client behind any trusted proxies must be local: a proxy on this
    machine forwarding a visitor's request makes the connection local but not the client.
    """
    token = settings.METRICS_TOKEN
    if token:
        sent = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            raise ApiError("invalid_metrics_token", "Send Authorization: Bearer <METRICS_TOKEN>.", status=401)
        return
    remote = request.META.get("REMOTE_ADDR", "")
    client = client_ip(remote, request.META.get("HTTP_X_FORWARDED_FOR", ""), settings.TRUSTED_PROXY_HOPS)
    if not (_is_loopback(remote) and _is_loopback(client)):
        raise ApiError(
            "metrics_local_only", "Metrics are served on this machine only, unless METRICS_TOKEN is set.", status=403
        )


@_read_only
def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    """Every Footfall metric in Prometheus' text format, read at scrape time."""
    try:
        _may_scrape(request)
    except ApiError as error:
        return error_response(error)
    return HttpResponse(generate_latest(collector.registry()), content_type=CONTENT_TYPE_LATEST)
