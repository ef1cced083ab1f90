"""Django integration: FootfallMiddleware records a page view per HTML response, and track_event()
records custom events from views, both with the visitor's address and user agent.

Configured by the FOOTFALL setting, a dict (see the package README); URL and API_KEY are required.
Tracking only queues the event for the client's background sender, so it never waits on Footfall.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.module_loading import import_string

from footfall_client.client import Client

__all__ = ["FootfallMiddleware", "get_client", "track_event", "visitor_ip"]

logger = logging.getLogger("footfall_client")

ShouldTrack = Callable[[HttpRequest, HttpResponseBase], bool]

DEFAULT_EXCLUDED_PATHS = (
    "/static/",
    "/media/",
    "/admin/",
    "/favicon.ico",
    "/robots.txt",
    "/health",
    "/healthz",
    "/readyz",
    "/livez",
)
HTML_TYPES = ("text/html", "application/xhtml+xml")
# Keys of FOOTFALL that configure the middleware; every other key is passed to Client().
MIDDLEWARE_KEYS = frozenset(
    {"URL", "API_KEY", "ENABLED", "METHODS", "STATUS_CODES", "EXCLUDE_PATHS", "SHOULD_TRACK", "PROXY_DEPTH"}
)


@dataclass(frozen=True)
class Options:
    """The FOOTFALL setting, read and checked once."""

    enabled: bool
    methods: frozenset[str]
    status_codes: Collection[int]
    exclude_paths: tuple[str, ...]
    should_track: ShouldTrack | None
    proxy_depth: int


def _setting() -> Mapping[str, Any]:
    value = getattr(settings, "FOOTFALL", None)
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured("FOOTFALL must be a dict with at least URL and API_KEY")
    return value


def read_options() -> Options:
    """Return the middleware's options from the FOOTFALL setting; raise ImproperlyConfigured when wrong."""
    config = _setting()
    should_track = config.get("SHOULD_TRACK")
    if isinstance(should_track, str):
        should_track = import_string(should_track)
    if should_track is not None and not callable(should_track):
        raise ImproperlyConfigured("FOOTFALL['SHOULD_TRACK'] must be a callable or its dotted path")
    proxy_depth = config.get("PROXY_DEPTH", 0)
    if not isinstance(proxy_depth, int) or proxy_depth < 0:
        raise ImproperlyConfigured("FOOTFALL['PROXY_DEPTH'] must be a non-negative int")
    return Options(
        enabled=bool(config.get("ENABLED", True)),
        methods=frozenset(method.upper() for method in config.get("METHODS", ("GET",))),
        status_codes=config.get("STATUS_CODES", range(200, 300)),
        exclude_paths=tuple(config.get("EXCLUDE_PATHS", DEFAULT_EXCLUDED_PATHS)),
        should_track=should_track,
        proxy_depth=proxy_depth,
    )


_client: Client | None = None
_client_lock = threading.Lock()


def get_client() -> Client:
    """Return the process's client, built from the FOOTFALL setting on first use."""
    global _client
    with _client_lock:
        if _client is None:
            config = _setting()
            if not config.get("URL") or not config.get("API_KEY"):
                raise ImproperlyConfigured("FOOTFALL needs URL (Footfall's address) and API_KEY (scope events:write)")
            options = {key.lower(): value for key, value in config.items() if key not in MIDDLEWARE_KEYS}
            try:
                _client = Client(config["URL"], config["API_KEY"], **options)
            except (TypeError, ValueError) as exc:
                raise ImproperlyConfigured(f"FOOTFALL: {exc}") from exc
        return _client


def _forget_client(*, setting: str, **kwargs: object) -> None:
    global _client
    if setting != "FOOTFALL":
        return
    with _client_lock:
        old, _client = _client, None
    if old is not None:
        old.close()


setting_changed.connect(_forget_client)


def visitor_ip(request: HttpRequest, proxy_depth: int) -> str | None:
    """Return the visitor's address: REMOTE_ADDR, or the X-Forwarded-For entry added by the nearest of
    `proxy_depth` proxies of the site's own (entries further left can be forged by the visitor)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxy_depth > 0 and forwarded:
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if chain:
            address = _address(chain[max(0, len(chain) - proxy_depth)])
            if address:
                return address
    return _address(request.META.get("REMOTE_ADDR", ""))


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def _is_html(response: HttpResponseBase) -> bool:
    content_type = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
    return content_type in HTML_TYPES


def _is_prefetch(request: HttpRequest) -> bool:
    # A prefetched or prerendered page may never be seen; the browser asks again if it is shown.
    purpose = request.headers.get("Sec-Purpose", "") or request.headers.get("Purpose", "")
    return "prefetch" in purpose.lower() or "prerender" in purpose.lower()


def is_pageview(request: HttpRequest, response: HttpResponseBase, options: Options) -> bool:
    """Return True when the response is a page a visitor sees: tracked method and status, HTML, not excluded."""
    return (
        request.method in options.methods
        and response.status_code in options.status_codes
        and _is_html(response)
        and not request.path.startswith(options.exclude_paths)
        and not _is_prefetch(request)
        and (options.should_track is None or bool(options.should_track(request, response)))
    )


def track_event(
    request: HttpRequest,
    name: str,
    *,
    props: Mapping[str, str | int | float | bool] | None = None,
    url: str | None = None,
    domain: str | None = None,
) -> str:
    """Record a custom event by the visitor of `request` and return its id; queue it, never wait.

    `url` defaults to the request's; the address follows FOOTFALL['PROXY_DEPTH'] like page views.
    Invalid arguments (a props value of an unsupported type, say) raise TypeError or ValueError.
    """
    options = read_options()
    return get_client().track(
        name,
        url if url is not None else request.build_absolute_uri(),
        domain=domain,
        referrer=request.headers.get("Referer") or None,
        props=props,
        ip=visitor_ip(request, options.proxy_depth),
        user_agent=request.headers.get("User-Agent", ""),
    )


class FootfallMiddleware:
    """Record a page view for each HTML page served; put it high in MIDDLEWARE to see final responses."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]) -> None:
        self.get_response = get_response
        self.options = read_options()
        if self.options.enabled:
            get_client()  # a wrong FOOTFALL setting fails at start-up, not in a log line per request
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        response = cast(HttpResponseBase, self.get_response(request))
        self.record(request, response)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        response = await cast(Awaitable[HttpResponseBase], self.get_response(request))
        self.record(request, response)
        return response

    def record(self, request: HttpRequest, response: HttpResponseBase) -> None:
        """Queue a page view if the response is one; never let tracking break the response."""
        if not self.options.enabled:
            return
        try:
            if is_pageview(request, response, self.options):
                get_client().pageview(
                    request.build_absolute_uri(),
                    referrer=request.headers.get("Referer") or None,
                    ip=visitor_ip(request, self.options.proxy_depth),
                    user_agent=request.headers.get("User-Agent", ""),
                )
        except (TypeError, ValueError) as exc:  # a page Footfall would reject, such as a URL over 2,000 characters
            logger.warning("Footfall: page view of %s not recorded: %s", request.path[:200], exc)
        except Exception:
            logger.exception("Footfall: page view of %s not recorded", request.path[:200])
