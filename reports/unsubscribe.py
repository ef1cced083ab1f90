"""The unsubscribe link every mail carries: a signed token naming the subscription or alert it ends.

Signed, not stored: the link works without login and cannot be forged or pointed at another row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from reports.models import Alert, Subscription

SALT = "footfall.reports.unsubscribe"
KINDS: dict[str, type[Subscription] | type[Alert]] = {"subscription": Subscription, "alert": Alert}


class BadToken(ValueError):
    """A token that was not signed here, or was changed."""


@dataclass(frozen=True)
class Target:
    kind: str  # subscription or alert
    id: int


def make_token(row: Subscription | Alert) -> str:
    kind = "subscription" if isinstance(row, Subscription) else "alert"
    return signing.dumps([kind, row.pk], salt=SALT)


def read_token(token: str) -> Target:
    """Return what the token names; raise BadToken for anything not signed here."""
    try:
        kind, pk = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise BadToken(str(exc)) from exc
    if kind not in KINDS or not isinstance(pk, int):
        raise BadToken("unknown target")
    return Target(kind, pk)


def absolute(path: str) -> str:
    """The URL of a path of this instance as a mail names it (mails have no request to ask)."""
    return settings.PUBLIC_URL.rstrip("/") + path


def unsubscribe_url(row: Subscription | Alert) -> str:
    return absolute(reverse("dashboard:unsubscribe", args=[make_token(row)]))
