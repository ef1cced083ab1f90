"""Optional HTTP Basic authentication, and what the credentials allow.

With MICROANALYTICS_AUTH on (the default: the API reads every site's data), a request needs
Basic credentials: MICROANALYTICS_USER and MICROANALYTICS_PASSWORD, which reach every
website, or any user name with a Footfall API key as the password, which reaches the key's
sites with its scopes: `stats:read` to read, `events:write` to write (and, for a key not
limited to a list of sites, to create websites), `sites:manage` to delete.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest

from analytics_site.errors import ApiError
from compat.errors import INVALID_AUTHENTICATION, INVALID_CREDENTIALS, RATE_LIMITED, CompatError
from sites.keys import KEY_PREFIX, api_key_authenticate
from sites.selectors import KeyAccess
from tracker.ingest.validation import client_ip
from tracker.ratelimit import check_api_key_rate, check_ingest_rate


def websites_owner(access: KeyAccess) -> User | None:
    """Return who owns the websites a request creates: the key's user, else MICROANALYTICS_OWNER."""
    if access.key is not None:
        return access.key.user
    username = settings.MICROANALYTICS_OWNER
    return User.objects.filter(username=username).first() if username else None


def denied(website: str) -> CompatError:
    return CompatError(INVALID_CREDENTIALS, f"These credentials are not accepted for {website!r}.")


def authenticate(request: HttpRequest) -> KeyAccess:
    """Check the Authorization header when auth is on, then the request limit; raise the µAnalytics error."""
    access = _credentials(request)
    check_rate(request, access)
    return access


def _credentials(request: HttpRequest) -> KeyAccess:
    if not settings.MICROANALYTICS_AUTH:
        return KeyAccess()
    header = request.headers.get("Authorization", "")
    if header[:6].lower() != "basic ":
        raise CompatError(INVALID_AUTHENTICATION, "Send HTTP Basic credentials.")
    try:
        decoded = base64.b64decode(header[6:], validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError) as exc:
        raise CompatError(INVALID_AUTHENTICATION, "The Basic credentials are not valid base64.") from exc
    user, colon, password = decoded.partition(":")
    if not colon:
        raise CompatError(INVALID_AUTHENTICATION, "The Basic credentials hold no ':'.")
    expected_user, expected_password = settings.MICROANALYTICS_USER, settings.MICROANALYTICS_PASSWORD
    if expected_user and expected_password:
        user_ok = hmac.compare_digest(user.encode(), expected_user.encode())
        if hmac.compare_digest(password.encode(), expected_password.encode()) and user_ok:
            return KeyAccess()
    if password.startswith(KEY_PREFIX):
        try:
            return KeyAccess(api_key_authenticate(password))
        except ApiError:
            pass
    raise CompatError(INVALID_CREDENTIALS, "The credentials are not accepted.")


def check_rate(request: HttpRequest, access: KeyAccess) -> None:
    """Count the request against its key's API_RATE_LIMIT_PER_MINUTE, shared with /api/v1/; without a key
    (the configured credentials, or auth off), against its client's INGEST_RATE_LIMIT_PER_MINUTE."""
    try:
        if access.key is not None:
            check_api_key_rate(access.key.prefix)
        else:
            meta = request.META
            check_ingest_rate(
                client_ip(
                    meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""), settings.TRUSTED_PROXY_HOPS
                )
            )
    except ApiError as exc:
        raise CompatError(RATE_LIMITED, exc.message, retry_after=exc.retry_after) from exc
