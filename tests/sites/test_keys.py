"""API keys: shown once, stored hashed, scoped, narrowed to sites, and the create_api_key command."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from analytics_site.errors import ApiError
from sites import keys, selectors
from sites.models import ApiKey, Membership
from tests.factories import MembershipFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_key_is_stored_only_as_a_hash():
    key, raw = keys.api_key_create(user=UserFactory(), name="k", scopes=["stats:read"])
    assert raw.startswith(f"ff_{key.prefix}_")
    assert raw not in key.secret_hash
    assert keys.api_key_authenticate(raw) == key


@pytest.mark.parametrize("raw", ["", "ff_", "nope", "ff_deadbeef_wrong"])
def test_unknown_keys_are_401(raw):
    keys.api_key_create(user=UserFactory(), name="k", scopes=["stats:read"])
    with pytest.raises(ApiError) as error:
        keys.api_key_authenticate(raw)
    assert (error.value.status, error.value.code) == (401, "invalid_api_key")


def test_revoked_keys_and_inactive_users_are_401():
    from django.utils import timezone

    user = UserFactory()
    revoked, revoked_raw = keys.api_key_create(user=user, name="old", scopes=["stats:read"])
    ApiKey.objects.filter(pk=revoked.pk).update(revoked=timezone.now())
    with pytest.raises(ApiError):
        keys.api_key_authenticate(revoked_raw)
    _key, raw = keys.api_key_create(user=user, name="k", scopes=["stats:read"])
    keys.api_key_authenticate(raw)
    user.is_active = False
    user.save()
    with pytest.raises(ApiError):
        keys.api_key_authenticate(raw)


def test_last_used_is_recorded():
    key, raw = keys.api_key_create(user=UserFactory(), name="k", scopes=["stats:read"])
    keys.api_key_authenticate(raw)
    key.refresh_from_db()
    assert key.last_used is not None


def test_unknown_scope_is_refused():
    with pytest.raises(ValueError, match="unknown scope"):
        keys.api_key_create(user=UserFactory(), name="k", scopes=["everything"])


def test_site_ids_for_key_respects_roles_and_restrictions():
    user = UserFactory()
    owned, viewed, restricted_away = SiteFactory(), SiteFactory(), SiteFactory()
    MembershipFactory(user=user, site=owned)
    MembershipFactory(user=user, site=restricted_away)
    MembershipFactory(user=user, site=viewed, role=Membership.Role.VIEWER)
    key, _ = keys.api_key_create(user=user, name="k", scopes=["events:write"])
    assert selectors.site_ids_for_key(key, owner_only=True) == {owned.id, restricted_away.id}
    assert selectors.site_ids_for_key(key, owner_only=False) == {owned.id, viewed.id, restricted_away.id}
    narrowed, _ = keys.api_key_create(user=user, name="k", scopes=["events:write"], sites=[owned, viewed])
    assert selectors.site_ids_for_key(narrowed, owner_only=True) == {owned.id}


def test_require_scope():
    key, _ = keys.api_key_create(user=UserFactory(), name="k", scopes=["stats:read"])
    selectors.require_scope(key, "stats:read")
    with pytest.raises(ApiError) as error:
        selectors.require_scope(key, "events:write")
    assert error.value.status == 403
    with pytest.raises(ApiError) as error:
        selectors.require_scope(key, ApiKey.Scope.SITES_MANAGE)
    assert error.value.message == "This API key lacks the 'sites:manage' scope."


def test_create_api_key_command_prints_the_key_once(capsys):
    user = UserFactory(username="alice")
    site = SiteFactory(domain="alice.example")
    call_command("create_api_key", "--user", "alice", "--scopes", "stats:read,events:write", "--site", "alice.example")
    raw = capsys.readouterr().out.strip()
    key = keys.api_key_authenticate(raw)
    assert (key.user, key.scopes, list(key.sites.all())) == (user, ["events:write", "stats:read"], [site])
    assert ApiKey.objects.count() == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--user", "nobody", "--scopes", "stats:read"],
        ["--user", "bob", "--scopes", "root"],
        ["--user", "bob", "--scopes", "stats:read", "--site", "missing.example"],
    ],
)
def test_create_api_key_command_errors(args):
    UserFactory(username="bob")
    with pytest.raises(CommandError):
        call_command("create_api_key", *args)


ALL_SCOPES = ["events:write", "sites:manage", "stats:read"]


def test_created_keys_take_no_scope_the_creator_lacks():
    creator, _ = keys.api_key_create(user=UserFactory(), name="c", scopes=["sites:manage", "stats:read"])
    with pytest.raises(ApiError) as error:
        keys.api_key_create_by_key(creator=creator, name="k", scopes=["stats:read", "events:write"])
    assert (error.value.status, error.value.code, error.value.field) == (403, "insufficient_scope", "scopes")
    assert "events:write" in error.value.message
    assert ApiKey.objects.count() == 1


def test_created_keys_inherit_the_creators_restriction():
    user = UserFactory()
    first, second = MembershipFactory(user=user).site, MembershipFactory(user=user).site
    narrow, _ = keys.api_key_create(user=user, name="c", scopes=ALL_SCOPES, sites=[first])
    created, raw = keys.api_key_create_by_key(creator=narrow, name="k", scopes=["stats:read"])
    assert keys.api_key_authenticate(raw) == created
    assert (created.user, created.scopes) == (user, ["stats:read"])
    assert list(created.sites.all()) == [first]
    assert selectors.site_ids_for_key(created, owner_only=False) == {first.id}
    wide, _ = keys.api_key_create(user=user, name="w", scopes=ALL_SCOPES)
    unrestricted, _ = keys.api_key_create_by_key(creator=wide, name="k", scopes=["stats:read"])
    assert selectors.site_ids_for_key(unrestricted, owner_only=False) == {first.id, second.id}


def test_created_keys_name_sites_by_domain_within_reach():
    user = UserFactory()
    site = MembershipFactory(user=user, site=SiteFactory(domain="mine.example")).site
    creator, _ = keys.api_key_create(user=user, name="c", scopes=ALL_SCOPES)
    created, _ = keys.api_key_create_by_key(
        creator=creator, name="k", scopes=["stats:read"], domains=["WWW.Mine.Example"]
    )
    assert list(created.sites.all()) == [site]


@pytest.mark.parametrize("domain", ["someone-else.example", "missing.example", "outside-restriction.example"])
def test_sites_out_of_reach_look_missing(domain):
    user = UserFactory()
    inside = MembershipFactory(user=user).site
    MembershipFactory(user=user, site=SiteFactory(domain="outside-restriction.example"))
    SiteFactory(domain="someone-else.example")
    creator, _ = keys.api_key_create(user=user, name="c", scopes=ALL_SCOPES, sites=[inside])
    with pytest.raises(ApiError) as error:
        keys.api_key_create_by_key(creator=creator, name="k", scopes=["stats:read"], domains=[inside.domain, domain])
    assert (error.value.status, error.value.code, error.value.field) == (400, "site_not_found", "sites")
    assert error.value.message == f"No site {domain!r} for this key."
    assert ApiKey.objects.count() == 1


def test_keys_manage_only_keys_they_could_have_created():
    user = UserFactory()
    first, second = MembershipFactory(user=user).site, MembershipFactory(user=user).site
    root, _ = keys.api_key_create(user=user, name="root", scopes=ALL_SCOPES)
    narrow, _ = keys.api_key_create(user=user, name="narrow", scopes=["sites:manage", "stats:read"], sites=[first])
    reader, _ = keys.api_key_create(user=user, name="reader", scopes=["stats:read"], sites=[first])
    writer, _ = keys.api_key_create(user=user, name="writer", scopes=["events:write"], sites=[first])
    both, _ = keys.api_key_create(user=user, name="both", scopes=["stats:read"], sites=[first, second])
    keys.api_key_create(user=UserFactory(), name="stranger", scopes=["stats:read"])
    assert {k.name for k in selectors.api_key_list_for_key(root)} == {"root", "narrow", "reader", "writer", "both"}
    assert {k.name for k in selectors.api_key_list_for_key(narrow)} == {"narrow", "reader"}
    assert selectors.api_key_get_for_key(narrow, prefix=reader.prefix) == reader
    for hidden in (root, writer, both):
        with pytest.raises(ApiError) as error:
            selectors.api_key_get_for_key(narrow, prefix=hidden.prefix)
        assert (error.value.status, error.value.code) == (404, "key_not_found")


def test_keys_of_other_users_are_not_found():
    mine, _ = keys.api_key_create(user=UserFactory(), name="mine", scopes=ALL_SCOPES)
    theirs, _ = keys.api_key_create(user=UserFactory(), name="theirs", scopes=["stats:read"])
    with pytest.raises(ApiError) as error:
        selectors.api_key_get_for_key(mine, prefix=theirs.prefix)
    assert (error.value.status, error.value.code) == (404, "key_not_found")


def test_revoke_stops_authentication_and_keeps_the_first_time():
    from datetime import UTC, datetime

    key, raw = keys.api_key_create(user=UserFactory(), name="k", scopes=["stats:read"])
    first = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert keys.api_key_revoke(key=key, now=first).revoked == first
    with pytest.raises(ApiError):
        keys.api_key_authenticate(raw)
    stale = ApiKey.objects.get(pk=key.pk)
    stale.revoked = None  # another request loaded it before the revocation
    assert keys.api_key_revoke(key=stale, now=datetime(2026, 11, 21, tzinfo=UTC)).revoked == first
    assert ApiKey.objects.get(pk=key.pk).revoked == first
