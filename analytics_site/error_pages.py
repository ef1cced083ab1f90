"""What a request that matches no route, or fails on our side, is answered: a page for people, and for
the APIs the project's JSON error shape, so API clients never have to parse HTML."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from analytics_site.errors import ApiError, error_response

# Paths whose callers are programs: the REST and GraphQL APIs and the ingest endpoints.
API_PREFIXES = ("/api/",)


def _for_programs(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _for_programs(request):
        return error_response(ApiError("not_found", "There is nothing at this address.", status=404))
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A request Django refuses before any view (a Host header not in ALLOWED_HOSTS, say)."""
    if _for_programs(request):
        return error_response(ApiError("bad_request", "The request is malformed (its Host header, say).", status=400))
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _for_programs(request):
        return error_response(ApiError("server_error", "Something went wrong on our side; it is logged.", status=500))
    return defaults.server_error(request)
