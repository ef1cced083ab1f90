"""µAnalytics' own error shape: the status it uses and a body of exactly {"code", "message"}."""

from __future__ import annotations

import orjson
from django.http import HttpResponse

INVALID_AUTHENTICATION = "InvalidAuthentication"
INVALID_CREDENTIALS = "InvalidCredentials"
INVALID_JSON = "InvalidJSON"
INVALID_DATABASE_NAME = "InvalidDatabaseName"
INVALID_TIME_FORMAT = "InvalidTimeFormat"
INVALID_INTERVAL = "InvalidInterval"
INVALID_PROPERTY = "InvalidProperty"
INSERT_FAILED = "InsertFailed"
PAYLOAD_TOO_LARGE = "PayloadTooLarge"
# Footfall's own: the per-key request limit every API shares.
RATE_LIMITED = "RateLimited"
# Method and path mismatches, which the original answers in plain text.
NOT_FOUND = "NotFound"
METHOD_NOT_ALLOWED = "MethodNotAllowed"

STATUS = {
    INVALID_AUTHENTICATION: 400,
    INVALID_CREDENTIALS: 401,
    INVALID_JSON: 400,
    INVALID_DATABASE_NAME: 400,
    INVALID_TIME_FORMAT: 405,
    INVALID_INTERVAL: 405,
    INVALID_PROPERTY: 405,
    INSERT_FAILED: 500,
    PAYLOAD_TOO_LARGE: 413,
    RATE_LIMITED: 429,
    NOT_FOUND: 404,
    METHOD_NOT_ALLOWED: 405,
}


class CompatError(Exception):
    """A request µAnalytics would refuse, with its code; the status follows from the code."""

    def __init__(self, code: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = STATUS[code]
        self.retry_after = retry_after


def json_response(data: object, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), status=status, content_type="application/json")


def error_response(error: CompatError) -> HttpResponse:
    response = json_response({"code": error.code, "message": error.message}, status=error.status)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response
