"""Realistic stored events for the archive, export, retention and deletion tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sites.models import Site
from tests.factories import TIME_ZERO
from tracker import pipeline
from tracker.ingest.hits import Hit

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"


def hit(site: Site, visitor: int, at: datetime, path: str, name: str = "pageview", **fields) -> Hit:
    fields.setdefault("user_agent", CHROME if visitor % 2 else FIREFOX)
    return Hit(
        uuid=str(uuid.uuid4()),
        site_id=site.id,
        name=name,
        timestamp=at,
        raw_url=f"https://{site.domain}{path}",
        visitor_hash=visitor,
        country="DE" if visitor % 3 else "FR",
        **fields,
    )


def visits(site: Site, *, start: datetime = TIME_ZERO, visitors: int = 6, hours: int = 3) -> list[Hit]:
    """Visits spread over `hours` hours: entries from several sources, custom events, engagement,
    and visits that cross an hour boundary (and midnight, when `start` is late in the day)."""
    hits = []
    for n in range(visitors):
        for h in range(hours):
            at = start + timedelta(hours=h, minutes=50 + n % 7, seconds=n)
            visitor = 1000 + n * 10 + h
            entry = f"/blog/post-{n}?utm_source=newsletter&utm_campaign=nov" if n % 3 == 0 else f"/page/{n}"
            referrer = "https://www.google.com/" if n % 3 == 1 else ""
            hits.append(hit(site, visitor, at, entry, raw_referrer=referrer))
            hits.append(hit(site, visitor, at + timedelta(minutes=12), "/about"))  # the next hour
            hits.append(
                hit(
                    site,
                    visitor,
                    at + timedelta(minutes=13),
                    "/about",
                    name="engagement",
                    engaged_ms=15_000,
                    scroll_depth=70,
                )
            )
            if n % 2:
                hits.append(
                    hit(
                        site,
                        visitor,
                        at + timedelta(minutes=14),
                        "/about",
                        name="Signup",
                        props={"plan": "pro", "n": n},
                    )
                )
    return hits


def store(hits: list[Hit], batch: int = 7) -> None:
    """Store the hits in arrival order, a few per batch, as the buffer would hand them over."""
    ordered = sorted(hits, key=lambda h: h.timestamp)
    for start in range(0, len(ordered), batch):
        pipeline.process_batch(ordered[start : start + batch])
