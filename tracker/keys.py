"""API keys: created once and shown once, stored as a SHA-256 hash, looked up by a visible prefix."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone

from tracker.errors import ApiError
from tracker.models import ApiKey, Membership, Site

KEY_PREFIX = "ff_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(*, user: User, name: str, scopes: Iterable[str], sites: Iterable[Site] = ()) -> tuple[ApiKey, str]:
    """Create a key; return it with the secret, which is never stored and cannot be shown again."""
    valid = set(ApiKey.Scope.values)
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in valid]
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}; valid: {', '.join(sorted(valid))}")
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(user=user, name=name, prefix=prefix, secret_hash=_digest(raw), scopes=scopes)
    key.sites.set(list(sites))
    return key, raw


def api_key_authenticate(raw: str) -> ApiKey:
    """Return the active key for the secret, or raise a 401 ApiError."""
    prefix = raw.removeprefix(KEY_PREFIX).split("_", 1)[0] if raw.startswith(KEY_PREFIX) else ""
    key = ApiKey.objects.select_related("user").filter(prefix=prefix, revoked__isnull=True).first() if prefix else None
    if key is None or not key.user.is_active or not hmac.compare_digest(key.secret_hash, _digest(raw)):
        raise ApiError("invalid_api_key", "The API key is not valid.", status=401)
    now = timezone.now()
    if key.last_used is None or now - key.last_used > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used=now)
        key.last_used = now
    return key


def api_key_from_request(request: HttpRequest) -> ApiKey:
    """Authenticate the request's `Authorization: Bearer <key>` header."""
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise ApiError("missing_api_key", "Send an API key as 'Authorization: Bearer <key>'.", status=401)
    return api_key_authenticate(raw.strip())


def require_scope(key: ApiKey, scope: str) -> None:
    if scope not in key.scopes:
        raise ApiError("insufficient_scope", f"This API key lacks the {scope!r} scope.", status=403)


def site_ids_for_key(key: ApiKey, *, owner_only: bool) -> set[int]:
    """Return the ids of the sites this key may act on: its user's sites, narrowed to the key's list."""
    if key.user.is_superuser:
        sites = Site.objects.all()
    else:
        memberships = Membership.objects.filter(user=key.user)
        if owner_only:
            memberships = memberships.filter(role=Membership.Role.OWNER)
        sites = Site.objects.filter(id__in=memberships.values("site_id"))
    restricted = list(key.sites.values_list("id", flat=True))
    if restricted:
        sites = sites.filter(id__in=restricted)
    return set(sites.values_list("id", flat=True))
