"""The project's JSON error shape: {"error": {"code", "message", "field"}} with a stable code."""

from __future__ import annotations

from django.http import JsonResponse


class ApiError(Exception):
    """An error a client caused or must react to; rendered as JSON, never as a 500."""

    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status
        self.retry_after = retry_after

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


def error_response(error: ApiError) -> JsonResponse:
    response = JsonResponse({"error": error.as_dict()}, status=error.status)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response
