"""API keys: shown once, stored hashed, scoped, narrowed to sites, and the create_api_key command."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tests.factories import MembershipFactory, SiteFactory, UserFactory
from tracker import keys
from tracker.errors import ApiError
from tracker.models import ApiKey, Membership

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
    assert keys.site_ids_for_key(key, owner_only=True) == {owned.id, restricted_away.id}
    assert keys.site_ids_for_key(key, owner_only=False) == {owned.id, viewed.id, restricted_away.id}
    narrowed, _ = keys.api_key_create(user=user, name="k", scopes=["events:write"], sites=[owned, viewed])
    assert keys.site_ids_for_key(narrowed, owner_only=True) == {owned.id}


def test_require_scope():
    key, _ = keys.api_key_create(user=UserFactory(), name="k", scopes=["stats:read"])
    keys.require_scope(key, "stats:read")
    with pytest.raises(ApiError) as error:
        keys.require_scope(key, "events:write")
    assert error.value.status == 403


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
