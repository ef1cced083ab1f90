"""The one module that answers who may see a site; here its cached domain lookup for the ingest path."""

from __future__ import annotations

import pytest

from sites import selectors
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def test_lookup_is_cached_including_misses(django_assert_num_queries):
    site = SiteFactory(domain="cached.example")
    with django_assert_num_queries(3):  # the known site, and the unknown one twice (minute, then seconds)
        assert selectors.site_ids_by_domain(["cached.example", "missing.example"]) == {"cached.example": site.id}
    with django_assert_num_queries(0):
        assert selectors.site_ids_by_domain(["www.cached.example", "missing.example"]) == {"cached.example": site.id}


def test_a_new_site_is_found_within_seconds(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock[0])
    assert selectors.site_ids_by_domain(["later.example"]) == {}
    site = SiteFactory(domain="later.example")
    assert selectors.site_ids_by_domain(["later.example"]) == {}
    clock[0] += selectors.MISSING_SITE_CACHE_SECONDS
    assert selectors.site_ids_by_domain(["later.example"]) == {"later.example": site.id}


def test_forgetting_drops_cached_answers():
    assert selectors.site_ids_by_domain(["gone.example"]) == {}
    site = SiteFactory(domain="gone.example")
    selectors.forget_cached_sites()
    assert selectors.site_ids_by_domain(["gone.example"]) == {"gone.example": site.id}
