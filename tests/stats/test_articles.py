"""One page as an article: scroll-depth bands and the pages read next."""

from __future__ import annotations

from datetime import date

import pytest

from stats import articles
from stats.query import DateRange, StatsQuery, parse_filters

pytestmark = pytest.mark.django_db

DAY = DateRange(date(2026, 11, 20), date(2026, 11, 20), "UTC")


def query(site, filters="") -> StatsQuery:
    return StatsQuery(site_id=site.id, dates=DAY, filters=parse_filters(filters))


def test_scroll_depths_count_reads_per_band(site):
    bands = articles.scroll_depths(query(site))
    assert [(b["from"], b["to"], b["reads"]) for b in bands] == [
        (0, 25, 1),  # B read /blog/x to 20 %
        (25, 50, 0),
        (50, 75, 0),
        (75, 90, 1),  # A read /about to 80 %
        (90, 100, 0),
    ]
    only_blog = articles.scroll_depths(query(site, "event:page==/blog/x"))
    assert [b["reads"] for b in only_blog] == [1, 0, 0, 0, 0]


def test_next_pages_follow_the_visit(site):
    assert articles.next_pages(query(site), "/blog/x") == [{"page": "/about", "visitors": 1, "pageviews": 1}]
    assert articles.next_pages(query(site), "/about") == []  # the visit ended there
    assert articles.next_pages(query(site, "visit:source==Google"), "/blog/x", limit=1) == [
        {"page": "/about", "visitors": 1, "pageviews": 1}
    ]


def test_a_reload_of_the_page_is_no_next_read(site):
    from tests.known_site import hit
    from tracker import pipeline

    pipeline.process_batch([hit(site, 5, 0, "/blog/x"), hit(site, 5, 20, "/blog/x"), hit(site, 5, 40, "/about")])
    assert articles.next_pages(query(site), "/blog/x") == [{"page": "/about", "visitors": 2, "pageviews": 2}]
