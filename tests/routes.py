"""The URL conf's routes as pattern strings, for tests that must cover every route."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.urls import URLPattern, URLResolver, get_resolver


def _walk(patterns: Iterable[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def routes(prefix: str) -> set[str]:
    """Every route whose pattern starts with prefix."""
    return {route for route in _walk(get_resolver().url_patterns) if route.startswith(prefix)}
