"""API keys: created once and shown once, stored as a SHA-256 hash, looked up by a visible prefix."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone

from tracker.errors import ApiError
from tracker.models import ApiKey, Membership, Site
from tracker.sites import normalise_domain

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
        # The scope's value, not its repr: a TextChoices member would print as ApiKey.Scope.X.
        raise ApiError("insufficient_scope", f"This API key lacks the '{scope}' scope.", status=403)


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


def _restriction(key: ApiKey) -> set[int]:
    """Return the ids of the sites the key is narrowed to; empty means every site of its user."""
    return {site.id for site in key.sites.all()}


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


def api_key_list_for_key(key: ApiKey) -> list[ApiKey]:
    """Return the keys this key may see and revoke: its user's keys that it could have created.

    That is every key of the same user whose scopes it holds and whose sites lie within its own
    restriction; revoked keys are included (they show when they were revoked).
    """
    own_scopes, own_sites = set(key.scopes), _restriction(key)

    def within_reach(other: ApiKey) -> bool:
        if not set(other.scopes) <= own_scopes:
            return False
        other_sites = _restriction(other)
        # An unrestricted key reaches every site of the user, so only an unrestricted key may manage it.
        return not own_sites or (bool(other_sites) and other_sites <= own_sites)

    candidates = ApiKey.objects.filter(user_id=key.user_id).prefetch_related("sites").order_by("-created", "-id")
    return [other for other in candidates if within_reach(other)]


def api_key_get_for_key(key: ApiKey, *, prefix: str) -> ApiKey:
    """Return the key with this prefix if `key` may manage it, else raise 404 (also for other users' keys)."""
    # Matching among the manageable keys, not in SQL, keeps any text a client sends out of the query.
    for other in api_key_list_for_key(key):
        if other.prefix == prefix:
            return other
    raise ApiError("key_not_found", f"No API key {prefix!r} for this key.", status=404)


def api_key_revoke(*, key: ApiKey, now: datetime | None = None) -> ApiKey:
    """Revoke the key: it authenticates no more. Revoking it again keeps the first revocation time."""
    if key.revoked is None:
        revoked = now or timezone.now()
        if ApiKey.objects.filter(pk=key.pk, revoked__isnull=True).update(revoked=revoked):
            key.revoked = revoked
        else:
            key.refresh_from_db(fields=["revoked"])
    return key
