"""The ingest endpoints: thin views that parse, call ingest, and answer 202 at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from analytics_site.errors import ApiError, error_response
from sites.keys import api_key_from_request
from sites.selectors import require_scope, site_ids_for_key
from tracker.buffer import BufferUnavailable
from tracker.ingest import snippet, validation
from tracker.ratelimit import check_ingest_rate


def _read_body(request: HttpRequest, limit: int) -> bytes:
    validation.check_size(request.META.get("CONTENT_LENGTH"), None, limit)
    body = request.read(limit + 1)
    validation.check_size(None, body, limit)
    return body


def _ingest_view(handle: Callable[[HttpRequest, str], validation.Batch]) -> Callable[..., HttpResponse]:
    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            error = ApiError("method_not_allowed", "Use POST.", status=405)
            response = error_response(error)
            response["Allow"] = "POST, OPTIONS"
            return response
        try:
            ip = validation.client_ip(
                request.META.get("REMOTE_ADDR", ""),
                request.META.get("HTTP_X_FORWARDED_FOR", ""),
                settings.TRUSTED_PROXY_HOPS,
            )
            check_ingest_rate(ip)
            batch = handle(request, ip)
            validation.accept(batch)
        except ApiError as error:
            return error_response(error)
        except BufferUnavailable as exc:
            return error_response(ApiError("buffer_unavailable", str(exc), status=503, retry_after=exc.retry_after))
        except DatabaseError:
            # Site and key lookups need the database; nothing was accepted, so the client retries.
            unavailable = ApiError("buffer_unavailable", "The database is unavailable.", status=503, retry_after=30)
            return error_response(unavailable)
        body: dict[str, Any] = batch.response_body()
        return JsonResponse(body, status=202 if batch.accepted else 400)

    return view


def _browser(request: HttpRequest, ip: str) -> validation.Batch:
    payload = validation.parse_json(_read_body(request, settings.INGEST_MAX_BYTES))
    return validation.browser_batch(
        payload, ip=ip, user_agent=request.headers.get("User-Agent", ""), now=timezone.now()
    )


def _server(request: HttpRequest, ip: str) -> validation.Batch:
    key = api_key_from_request(request)
    require_scope(key, "events:write")
    payload = validation.parse_json(_read_body(request, settings.INGEST_BATCH_MAX_BYTES))
    return validation.server_batch(
        payload,
        site_ids=site_ids_for_key(key, owner_only=True),
        ip=ip,
        user_agent=request.headers.get("User-Agent", ""),
        now=timezone.now(),
    )


event = _ingest_view(_browser)
events = _ingest_view(_server)


# Sites embed the script from its fixed URL, so it is cached for a day and revalidated by ETag.
SCRIPT_CACHE_CONTROL = "public, max-age=86400, stale-while-revalidate=604800"


@require_safe
def script(request: HttpRequest) -> HttpResponse:
    content, etag = snippet.served()
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(content, content_type="application/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = SCRIPT_CACHE_CONTROL
    return response
