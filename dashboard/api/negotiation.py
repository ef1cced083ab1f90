"""Which renderer answers a request: JSON, whatever the Accept header says."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class FirstRendererWhenNoneAccepted(DefaultContentNegotiation):
    """A view's first renderer answers when the Accept header names none of them, as Plausible does.

    Clients of an API send empty, browser-style or odd Accept headers; a 406 would hide the answer
    (or the error that explains what is wrong) from them for no gain, since JSON is all we speak.
    """

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, Any]:
        renderers = list(renderers)
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
