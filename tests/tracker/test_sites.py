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
    with django_assert_num_queries(1):
        assert sites.site_ids_by_domain(["cached.example", "missing.example"]) == {"cached.example": site.id}
    with django_assert_num_queries(0):
        assert sites.site_ids_by_domain(["www.cached.example", "missing.example"]) == {"cached.example": site.id}


def test_forget_site_drops_the_cached_answer():
    assert sites.site_ids_by_domain(["later.example"]) == {}
    site = SiteFactory(domain="later.example")
    sites.forget_site("later.example")
    assert sites.site_ids_by_domain(["later.example"]) == {"later.example": site.id}
