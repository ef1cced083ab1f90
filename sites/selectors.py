"""Who may see or act on a site: the one module that answers it, for every kind of caller.

- a signed-in user: a member (owners manage, viewers read); a superuser is an owner of every site;
- an API key: its user's sites, narrowed to the key's list of sites if it has one, within its scopes;
- a share link's token: the one site it shows, read-only, until revoked;
- HTTP Basic credentials of the µAnalytics API: a key as above, or the configured credentials,
  which reach every site (`KeyAccess(None)`).

A site out of reach is answered exactly as a missing one (404), so domains do not leak; a caller
who may read a site but not change it learns that (403).
"""

from __future__ import annotations

import time
from functools import cached_property, lru_cache

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from analytics_site.errors import ApiError
from sites.models import ApiKey, Membership, ShareLink, Site, normalise_domain

SITE_CACHE_SECONDS = 60
MISSING_SITE_CACHE_SECONDS = 5

# --- by domain ----------------------------------------------------------------------------------


def site_by_domain(domain: str) -> Site | None:
    """Return the site with this domain, in any of the forms people write it (case, "www.")."""
    return Site.objects.filter(domain=normalise_domain(domain)).first()


def _time_bucket(seconds: int) -> int:
    return int(time.monotonic() // seconds)


@lru_cache(maxsize=4096)
def _site_id(domain: str, bucket: int) -> int | None:
    """Return the site id of a domain; cached per (domain, time bucket), so answers age out."""
    return Site.objects.filter(domain=domain).values_list("id", flat=True).first()


def site_ids_by_domain(domains: list[str]) -> dict[str, int]:
    """Return {normalised domain: site id} for the domains that are registered (the ingest path's lookup).

    Known sites are cached for a minute and unknown domains for a few seconds, so the ingest
    path rarely touches the database and a newly added site starts counting at once.
    """
    found: dict[str, int] = {}
    for domain in {normalise_domain(d) for d in domains}:
        site_id = _site_id(domain, _time_bucket(SITE_CACHE_SECONDS))
        if site_id is None:
            site_id = _site_id(domain, -1 - _time_bucket(MISSING_SITE_CACHE_SECONDS))
        if site_id is not None:
            found[domain] = site_id
    return found


def forget_cached_sites() -> None:
    """Drop this process's cached lookups (after a site is deleted, and between tests)."""
    _site_id.cache_clear()


# --- signed-in users ----------------------------------------------------------------------------


def sites_for_user(user: User | AnonymousUser) -> QuerySet[Site]:
    """Return the sites the user is a member of (every site for a superuser)."""
    if user.is_superuser:
        return Site.objects.all()
    if isinstance(user, AnonymousUser):
        return Site.objects.none()
    return Site.objects.filter(memberships__user=user).distinct()


def site_for_user(user: User | AnonymousUser, domain: str) -> Site:
    """Return the user's site with this domain; 404 alike when it is missing or someone else's."""
    site = sites_for_user(user).filter(domain=normalise_domain(domain)).first()
    if site is None:
        raise Http404("No such site.")
    return site


def user_owns(user: User | AnonymousUser, site: Site) -> bool:
    """Whether the user may manage the site (an owner, or a superuser)."""
    return user.is_superuser or Membership.objects.filter(site=site, user_id=int(user.pk or 0), role="owner").exists()


def site_for_owner(user: User | AnonymousUser, domain: str) -> Site:
    """Return the site if the user owns it: 404 for strangers, 403 for viewers (who know it exists)."""
    site = site_for_user(user, domain)
    if not user_owns(user, site):
        raise PermissionDenied("Only the site's owners manage it.")
    return site


# --- share links --------------------------------------------------------------------------------


def site_for_share_token(token: str) -> Site:
    """Return the site an active share link shows; 404 for a token no active link has."""
    link = ShareLink.objects.select_related("site").filter(token=token, revoked__isnull=True).first()
    if link is None:
        raise Http404("No such link.")
    return link.site


# --- API keys -----------------------------------------------------------------------------------


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


def site_for_key(
    key: ApiKey, domain: str, *, scope: str = ApiKey.Scope.STATS_READ, field: str | None = "site_id"
) -> Site:
    """Return the site the key may use with this scope; 404 whether it is missing or out of reach.

    `field` names the parameter that carried the domain, for the error.
    """
    require_scope(key, scope)
    site = site_by_domain(domain)
    if site is None or site.id not in site_ids_for_key(key, owner_only=False):
        raise ApiError("site_not_found", f"No site {domain!r} for this key.", field=field, status=404)
    return site


def site_for_key_owner(key: ApiKey, domain: str) -> Site:
    """Return the site if the key's user owns it (sites:manage); 404 out of reach, 403 for a viewer's key."""
    site = site_for_key(key, domain, scope=ApiKey.Scope.SITES_MANAGE, field=None)
    if site.id not in site_ids_for_key(key, owner_only=True):
        raise ApiError("not_owner", "Only an owner of the site can do this.", status=403)
    return site


def sites_for_key(key: ApiKey) -> QuerySet[Site]:
    """Return the sites the key reaches, by domain; listing them takes stats:read or sites:manage."""
    if not {ApiKey.Scope.STATS_READ, ApiKey.Scope.SITES_MANAGE} & set(key.scopes):
        require_scope(key, ApiKey.Scope.STATS_READ)
    return Site.objects.filter(id__in=site_ids_for_key(key, owner_only=False)).order_by("domain")


def _restriction(key: ApiKey) -> set[int]:
    """Return the ids of the sites the key is narrowed to; empty means every site of its user."""
    return {site.id for site in key.sites.all()}


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


def api_keys_reaching_site(user: User, site: Site) -> QuerySet[ApiKey]:
    """Return the user's keys that reach the site: narrowed to it, or to no site at all, newest first."""
    return ApiKey.objects.filter(Q(sites=site) | Q(sites__isnull=True), user=user).distinct().order_by("-created")


# --- HTTP Basic (the µAnalytics API) ------------------------------------------------------------


class KeyAccess:
    """What one API key may do with sites; without a key (configured credentials, or auth off) everything.

    Reading takes stats:read on a site the key reaches; writing events:write on a site its user owns;
    creating sites events:write on a key narrowed to no sites; deleting sites:manage as an owner.
    """

    def __init__(self, key: ApiKey | None = None) -> None:
        self.key = key

    @cached_property
    def _readable(self) -> set[int]:
        assert self.key is not None
        return site_ids_for_key(self.key, owner_only=False) if ApiKey.Scope.STATS_READ in self.key.scopes else set()

    @cached_property
    def _owned(self) -> set[int]:
        assert self.key is not None
        return site_ids_for_key(self.key, owner_only=True)

    def can_read(self, site_id: int) -> bool:
        return self.key is None or site_id in self._readable

    def can_write(self, site_id: int) -> bool:
        return self.key is None or (ApiKey.Scope.EVENTS_WRITE in self.key.scopes and site_id in self._owned)

    def can_create(self) -> bool:
        return self.key is None or (ApiKey.Scope.EVENTS_WRITE in self.key.scopes and not self.key.sites.exists())

    def can_delete(self, site_id: int) -> bool:
        return self.key is None or (ApiKey.Scope.SITES_MANAGE in self.key.scopes and site_id in self._owned)
