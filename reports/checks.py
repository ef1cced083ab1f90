"""A deployment check: report mails carry links to PUBLIC_URL, which must be where people open Footfall."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Warning

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def public_url_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when a deployment (DEBUG off) keeps a local PUBLIC_URL: every report's links and its
    one-click unsubscribe would point at the reader's own machine."""
    if settings.DEBUG or urlsplit(settings.PUBLIC_URL).hostname not in LOCAL_HOSTS:
        return []
    return [
        Warning(
            f"PUBLIC_URL is {settings.PUBLIC_URL}: the links and the unsubscribe link in report and alert "
            "mails would point at the reader's own machine.",
            hint="Set PUBLIC_URL to the address people open Footfall at, e.g. https://stats.example.com.",
            id="reports.W001",
        )
    ]
