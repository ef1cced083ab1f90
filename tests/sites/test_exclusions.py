"""A site's exclusions: set (checked and normalised), compiled, and read through a per-process cache."""

from __future__ import annotations

import pytest

from sites import exclusions
from sites.exclusions import ExclusionError, compile_exclusions, exclusions_of, exclusions_set
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def set_rules(site, paths=(), hostnames=(), ranges=()):
    return exclusions_set(site=site, excluded_paths=paths, allowed_hostnames=hostnames, excluded_ip_ranges=ranges)


def test_rules_are_trimmed_normalised_and_kept_once():
    site = set_rules(
        SiteFactory(),
        paths=[" /admin/** ", "", "/admin/**", "/preview"],
        hostnames=["WWW.Blog.Example.", "*.Blog.example", "blog.example"],
        ranges=["203.0.113.7/24", "2001:DB8::1", " 10.0.0.0/8 "],
    )
    site.refresh_from_db()
    assert site.excluded_paths == ["/admin/**", "/preview"]
    assert site.allowed_hostnames == ["blog.example", "*.blog.example"]
    assert site.excluded_ip_ranges == ["203.0.113.0/24", "2001:db8::1/128", "10.0.0.0/8"]


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"paths": ["admin"]}, "excluded_paths"),
        ({"paths": ["/a b"]}, "excluded_paths"),
        ({"hostnames": ["not a host"]}, "allowed_hostnames"),
        ({"hostnames": ["https://blog.example/"]}, "allowed_hostnames"),
        ({"ranges": ["10.0.0.300/8"]}, "excluded_ip_ranges"),
        ({"ranges": ["office"]}, "excluded_ip_ranges"),
        ({"paths": [f"/{n}" for n in range(101)]}, "excluded_paths"),
    ],
)
def test_a_bad_rule_names_its_list_and_changes_nothing(rules, field):
    site = set_rules(SiteFactory(), paths=["/kept"])
    with pytest.raises(ExclusionError) as raised:
        set_rules(site, **rules)
    assert raised.value.field == field
    site.refresh_from_db()
    assert site.excluded_paths == ["/kept"]


def test_paths_match_with_goal_wildcards():
    rules = compile_exclusions(["/admin/**", "/drafts/*", "/exact"], [], [])
    assert rules.excludes_path("/admin/users/1")
    assert rules.excludes_path("/drafts/a")
    assert not rules.excludes_path("/drafts/a/b")
    assert rules.excludes_path("/exact")
    assert not rules.excludes_path("/exact/not")
    assert not rules.excludes_path("/blog/admin/x")


def test_hostnames_outside_the_allowlist_are_excluded():
    rules = compile_exclusions([], ["blog.example", "*.docs.example"], [])
    assert not rules.excludes_hostname("blog.example")
    assert not rules.excludes_hostname("docs.example")
    assert not rules.excludes_hostname("v2.docs.example")
    assert rules.excludes_hostname("staging.blog.example")
    assert rules.excludes_hostname("blog.example.evil")
    assert rules.excludes_hostname("localhost")
    assert not compile_exclusions([], [], []).excludes_hostname("anything")


def test_addresses_in_the_ranges_are_excluded_whatever_their_version():
    rules = compile_exclusions([], [], ["203.0.113.0/24", "2001:db8::/32"])
    assert rules.excludes_address("203.0.113.250")
    assert rules.excludes_address("2001:db8::5")
    assert not rules.excludes_address("198.51.100.1")
    assert not rules.excludes_address("::1")
    assert not rules.excludes_address("not an address")


def test_a_site_without_rules_compiles_to_nothing():
    assert compile_exclusions([], [], []) is exclusions.NOTHING
    assert exclusions_of(SiteFactory().id) is exclusions.NOTHING
    assert exclusions_of(999_999) is exclusions.NOTHING


def test_rules_are_cached_and_a_change_is_read_at_once(django_assert_num_queries):
    site = SiteFactory()
    with django_assert_num_queries(1):
        exclusions_of(site.id)
        exclusions_of(site.id)
    set_rules(site, paths=["/admin/**"])
    assert exclusions_of(site.id).excludes_path("/admin/x")
