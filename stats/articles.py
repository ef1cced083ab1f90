"""Numbers about one page as an article: how far its readers scrolled and what they read next.

Both are counted from raw events of the query's range (the page's share of a site is small).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery

from stats.dimensions import ENGAGEMENT, PAGEVIEW
from stats.query import StatsQuery
from stats.raw import events_in
from tracker.models import Event

SCROLL_BUCKETS = ((0, 25), (25, 50), (50, 75), (75, 90), (90, 101))


def scroll_depths(query: StatsQuery) -> list[dict[str, Any]]:
    """Return how many page reads (engagement reports) reached each depth band, deepest band last."""
    reports = events_in(query, query.dates).filter(name=ENGAGEMENT, scroll_depth__isnull=False)
    counts = reports.aggregate(
        **{
            f"b{low}": Count("id", filter=Q(scroll_depth__gte=low, scroll_depth__lt=high))
            for low, high in SCROLL_BUCKETS
        }
    )
    return [{"from": low, "to": min(high, 100), "reads": counts[f"b{low}"]} for low, high in SCROLL_BUCKETS]


def next_pages(query: StatsQuery, path: str, *, limit: int = 10) -> list[dict[str, Any]]:
    """Return the pages read right after `path` in the same visit, by visitors, most first (a reload of the
    page itself is no next read)."""
    following = (
        Event.objects.filter(session_id=OuterRef("session_id"), name=PAGEVIEW, timestamp__gt=OuterRef("timestamp"))
        .order_by("timestamp", "id")
        .values("path")[:1]
    )
    views = events_in(query, query.dates).filter(name=PAGEVIEW, path=path).annotate(next_path=Subquery(following))
    rows = (
        views.exclude(next_path__isnull=True)
        .exclude(next_path=path)
        .values("next_path")
        .annotate(visitors=Count("visitor_hash", distinct=True), pageviews=Count("id"))
        .order_by("-visitors", "-pageviews", "next_path")[:limit]
    )
    return [{"page": row["next_path"], "visitors": row["visitors"], "pageviews": row["pageviews"]} for row in rows]
