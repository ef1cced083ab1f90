"""API keys: created once and shown once, stored as a SHA-256 hash, looked up by a visible prefix.

Which keys a key may list and revoke, and which sites it reaches, are questions for selectors.py.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone

from analytics_site.errors import ApiError
from sites.models import ApiKey, Site, normalise_domain
from sites.selectors import site_ids_for_key

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


def api_key_create_by_key(
    *, creator: ApiKey, name: str, scopes: Iterable[str], domains: Iterable[str] = ()
) -> tuple[ApiKey, str]:
    """Create a key for the creator's user that reaches no further than the creator does.

    The new key may hold only scopes the creator holds, and sites only within the creator's
    reach; without `domains` it inherits the creator's site restriction, so a key narrowed to
    some sites cannot mint one for all of them. A site outside the reach is reported exactly as
    a missing one, so domains do not leak.
    """
    scopes = set(scopes)
    lacking = sorted(scopes - set(creator.scopes))
    if lacking:
        raise ApiError(
            "insufficient_scope",
            f"This API key cannot grant scope(s) it lacks: {', '.join(lacking)}.",
            field="scopes",
            status=403,
        )
    wanted = {normalise_domain(d): d for d in domains}
    if wanted:
        reach = site_ids_for_key(creator, owner_only=False)
        found = {site.domain: site for site in Site.objects.filter(domain__in=wanted, id__in=reach)}
        missing = [original for domain, original in wanted.items() if domain not in found]
        if missing:
            raise ApiError("site_not_found", f"No site {missing[0]!r} for this key.", field="sites")
        sites = list(found.values())
    else:
        sites = list(creator.sites.all())
    return api_key_create(user=creator.user, name=name, scopes=scopes, sites=sites)


def api_key_revoke(*, key: ApiKey, now: datetime | None = None) -> ApiKey:
    """Revoke the key: it authenticates no more. Revoking it again keeps the first revocation time."""
    if key.revoked is None:
        revoked = now or timezone.now()
        if ApiKey.objects.filter(pk=key.pk, revoked__isnull=True).update(revoked=revoked):
            key.revoked = revoked
        else:
            key.refresh_from_db(fields=["revoked"])
    return key
