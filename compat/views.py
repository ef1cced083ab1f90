"""The µAnalytics routes: thin views that authenticate, parse, call the service and answer in
µAnalytics' shapes. Checks run in its order: auth, property name, start/end, interval, website.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator
from functools import wraps

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from compat import service
from compat.auth import authenticate
from compat.errors import (
    INSERT_FAILED,
    INVALID_PROPERTY,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    PAYLOAD_TOO_LARGE,
    CompatError,
    error_response,
    json_response,
)
from compat.parsing import Analytic, parse_analytic, parse_body, parse_list, read_params
from sites.selectors import KeyAccess

logger = logging.getLogger(__name__)

VERSION = "2.0.0"
BULK = "bulk"

View = Callable[..., HttpResponseBase]


def _answer(view: View) -> View:
    """Render CompatErrors; a database that cannot answer is a server fault, never a traceback."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args: str, **kwargs: str) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except CompatError as error:
            return error_response(error)
        except DatabaseError:
            logger.exception("µAnalytics request failed on the database")
            return error_response(CompatError(INSERT_FAILED, "The database is unavailable.", retry_after=30))

    return wrapped


def _not_allowed(request: HttpRequest) -> CompatError:
    return CompatError(METHOD_NOT_ALLOWED, f"{request.method} is not allowed here.")


def _query(request: HttpRequest) -> dict[str, list[str]]:
    return dict(request.GET.lists())


def _body(request: HttpRequest) -> bytes:
    limit = settings.MICROANALYTICS_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    body = request.read(limit + 1) if declared <= limit else b""
    if declared > limit or len(body) > limit:
        raise CompatError(PAYLOAD_TOO_LARGE, f"The body is larger than {limit} bytes.")
    return body


def _bulk(request: HttpRequest) -> list[Analytic]:
    """The analytics of a bulk body; more than MICROANALYTICS_MAX_BULK is refused whole, as a body too large."""
    items = parse_list(parse_body(_body(request)))
    most = settings.MICROANALYTICS_MAX_BULK
    if len(items) > most:
        raise CompatError(
            PAYLOAD_TOO_LARGE, f"A bulk request holds at most {most} analytics; send the rest in another."
        )
    return items


def _stored(request: HttpRequest) -> HttpResponseBase:
    return HttpResponse(b"", content_type="application/json")


def _listed(rows: Generator[bytes]) -> HttpResponseBase:
    """Answer {"list": [...]} a piece at a time (an unbounded range of analytics is never held whole);
    {"list": null} when there are none, as µAnalytics answers."""
    first = next(rows, None)
    if first is None:
        return json_response({"list": None})

    def pieces() -> Iterator[bytes]:
        try:
            yield b'{"list":[' + first
            for row in rows:
                yield b"," + row
            yield b"]}"
        finally:
            rows.close()  # a client gone mid-answer: the database cursor closes now, not when collected

    return StreamingHttpResponse(pieces(), content_type="application/json")


@_answer
def root(request: HttpRequest) -> HttpResponseBase:
    if request.method != "GET":
        raise _not_allowed(request)
    return json_response({"message": "Footfall answers the µAnalytics API here.", "version": VERSION})


@_answer
def website(request: HttpRequest, website: str) -> HttpResponseBase:
    access = authenticate(request)
    if request.method == "GET":
        params = read_params(_query(request))
        site = service.readable_site(website, access=access)
        return _listed(service.analytics_list(site, params))
    if request.method == "POST" and website == BULK:
        return _bulk_all(request, access)
    if request.method == "POST":
        analytic = parse_analytic(parse_body(_body(request)))
        stored = service.stored_from(analytic, now=timezone.now(), bulk=False)
        service.analytics_store([(website, stored)], access=access)
        return _stored(request)
    if request.method == "DELETE":
        service.website_remove(website, access=access)
        return _stored(request)
    raise _not_allowed(request)


def _bulk_all(request: HttpRequest, access: KeyAccess) -> HttpResponseBase:
    """POST /bulk: items name their website; those without one are skipped."""
    now = timezone.now()
    pairs = [(item.website, service.stored_from(item, now=now, bulk=True)) for item in _bulk(request) if item.website]
    service.analytics_store(pairs, access=access)
    return _stored(request)


@_answer
def website_property(request: HttpRequest, website: str, name: str) -> HttpResponseBase:
    access = authenticate(request)
    if request.method == "POST" and name == BULK:
        now = timezone.now()
        items = _bulk(request)
        service.analytics_store([(website, service.stored_from(i, now=now, bulk=True)) for i in items], access=access)
        return _stored(request)
    if request.method != "GET":
        raise _not_allowed(request)
    if name not in ("count", "time", *service.GROUPS):
        raise CompatError(INVALID_PROPERTY, f"{name!r} is not one of count, time, {', '.join(service.GROUPS)}.")
    params = read_params(_query(request), interval=name == "time")
    site = service.readable_site(website, access=access)
    if name == "count":
        return json_response(service.analytics_count(site, params))
    if name == "time":
        return json_response({"list": service.analytics_series(site, params)})
    return json_response({"list": service.analytics_groups(site, name, params)})


@_answer
def not_found(request: HttpRequest, rest: str = "") -> HttpResponseBase:
    raise CompatError(NOT_FOUND, "There is no such route.")
