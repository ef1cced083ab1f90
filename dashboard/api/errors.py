"""Every refusal of the REST API in the project's shape: {"error": {"code", "message", "field"}}."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings

from analytics_site.errors import ApiError
from stats.query import QueryError


def first_error(detail: Any) -> tuple[str | None, str]:
    """Return the first (top-level field, message) of DRF's nested error detail."""
    field: str | None = None
    while isinstance(detail, dict | list) and detail:
        if isinstance(detail, dict):
            key, detail = next(iter(detail.items()))
            field = str(key) if field is None else field
        else:
            detail = detail[0]
    if field in ("", api_settings.NON_FIELD_ERRORS_KEY):
        field = None
    return field, str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every API error in the project's shape: {"error": {"code", "message", "field"}}."""
    if isinstance(exc, QueryError):
        exc = ApiError("invalid_query", exc.message, field=exc.field)
    if isinstance(exc, exceptions.ValidationError):
        field, message = first_error(exc.detail)
        request = context.get("request")
        code = "invalid_query" if request is None or request.method == "GET" else "invalid_field"
        exc = ApiError(code, message, field=field)
    elif isinstance(exc, exceptions.APIException) and not isinstance(exc, ApiError):
        exc = ApiError(str(exc.default_code), str(exc.detail), status=exc.status_code)
    if not isinstance(exc, ApiError):
        return None
    response = Response({"error": exc.as_dict()}, status=exc.status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    if exc.status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response
