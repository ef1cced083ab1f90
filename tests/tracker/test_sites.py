"""Site creation and the cached domain lookup used by ingest."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories import SiteFactory, UserFactory
from tracker import sites
from tracker.models import Membership

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw", ["Blog.Example", " www.blog.example ", "blog.example."])
def test_domains_are_normalised(raw):
    assert sites.normalise_domain(raw) == "blog.example"


def test_site_create_makes_the_creator_owner():
    user = UserFactory()
    site = sites.site_create(owner=user, domain="WWW.New.Example", timezone="Europe/Berlin")
    assert site.domain == "new.example"
    assert Membership.objects.get(site=site).role == Membership.Role.OWNER


def test_site_create_rejects_unknown_timezones():
    with pytest.raises(ValidationError):
        sites.site_create(owner=UserFactory(), domain="x.example", timezone="Mars/Olympus")


def test_lookup_is_cached_including_misses(django_assert_num_queries):
    site = SiteFactory(domain="cached.example")
    with django_assert_num_queries(3):  # the known site, and the unknown one twice (minute, then seconds)
        assert sites.site_ids_by_domain(["cached.example", "missing.example"]) == {"cached.example": site.id}
    with django_assert_num_queries(0):
        assert sites.site_ids_by_domain(["www.cached.example", "missing.example"]) == {"cached.example": site.id}


def test_a_new_site_is_found_within_seconds(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(sites.time, "monotonic", lambda: clock[0])
    assert sites.site_ids_by_domain(["later.example"]) == {}
    site = SiteFactory(domain="later.example")
    assert sites.site_ids_by_domain(["later.example"]) == {}
    clock[0] += sites.MISSING_SITE_CACHE_SECONDS
    assert sites.site_ids_by_domain(["later.example"]) == {"later.example": site.id}


def test_forgetting_drops_cached_answers():
    assert sites.site_ids_by_domain(["gone.example"]) == {}
    site = SiteFactory(domain="gone.example")
    sites.forget_cached_sites()
    assert sites.site_ids_by_domain(["gone.example"]) == {"gone.example": site.id}
