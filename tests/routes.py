"""The URL conf's routes as pattern strings, for tests that must cover every route.

Each route is known by its full pattern and by the URL conf that declares it: the innermost
included module (`dashboard.urls`), or the app name of an included list (`admin`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import ModuleType

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver


def _conf_name(resolver: URLResolver, parent: str) -> str:
    module = resolver.urlconf_module
    if isinstance(module, ModuleType):
        return module.__name__
    return resolver.app_name or parent


def _walk(patterns: Iterable[URLPattern | URLResolver], prefix: str, conf: str) -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), _conf_name(pattern, conf))
        else:
            yield prefix + str(pattern.pattern), conf


def routes(prefix: str = "", *, conf: str | None = None, urlconf: str | None = None) -> set[str]:
    """Every route whose pattern starts with prefix, optionally only those the URL conf `conf` declares.

    `urlconf` walks another root URL conf than the project's (the µAnalytics host's).
    """
    root = urlconf or settings.ROOT_URLCONF
    return {
        route
        for route, declared_by in _walk(get_resolver(urlconf).url_patterns, "", root)
        if route.startswith(prefix) and (conf is None or declared_by == conf)
    }
