"""Synthetic but realistic visits, fed through the real pipeline: demo data and benchmark load.

Visitors keep an address and a browser; visits follow a daily and weekly rhythm, arrive from
search, social, newsletters or directly, read articles of Zipf-like popularity, bounce or
wander on, scroll and stay a while (engagement events), and sometimes sign up or download.
Everything comes from one seeded random generator, so a seed always yields the same events
(with the same uuids: running it twice stores nothing twice).
"""

from __future__ import annotations

import ipaddress
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from tracker.ingest.hits import Hit

# The site `make run` creates and fills with demo traffic.
DEMO_DOMAIN = "demo.footfall.test"
# Real user agents with rough shares of web traffic.
USER_AGENTS = [
    (
        30,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
        "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    ),
    (
        18,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) "
        "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    ),
    (
        14,
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) "
        "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
    ),
    (
        9,
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
        "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
    ),
    (
        7,
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
        "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    ),
    (
        6,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
        "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    ),
    (5, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"),
    (
        3,
        "Mozilla/5.0 (Linux; Android 14; SM-S921B) "
        "AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
    ),
    (
        3,
        "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) "
        "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    ),
    (2, "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"),
    (2, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"),
    (1, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),  # dropped as a bot
]
# (weight, referrer URL, landing query string)
ARRIVALS = [
    (38, "", ""),
    (24, "https://www.google.com/", ""),
    (3, "https://www.bing.com/", ""),
    (3, "https://duckduckgo.com/", ""),
    (5, "https://news.ycombinator.com/", ""),
    (4, "https://t.co/x1Yz", ""),
    (4, "https://www.reddit.com/r/webdev/", ""),
    (2, "https://www.linkedin.com/", ""),
    (3, "https://dev.to/", ""),
    (2, "https://someones-blog.example/links/", ""),
    (8, "", "?utm_source=newsletter&utm_medium=email&utm_campaign=weekly"),
    (4, "", "?utm_source=mastodon&utm_medium=social&utm_campaign=launch"),
]
ARTICLES = [
    "why-we-left-google-analytics",
    "self-hosting-on-a-small-vps",
    "postgres-tuning-for-analytics",
    "cookie-free-visitor-counting",
    "a-tiny-tracking-script",
    "django-celery-in-production",
    "privacy-by-design",
    "reading-your-server-logs",
    "redis-streams-explained",
    "gdpr-for-bloggers",
    "measuring-engagement-honestly",
    "rollups-and-sketches",
    "single-page-apps-and-analytics",
    "exporting-your-data",
    "choosing-a-geoip-database",
    "the-cost-of-third-party-scripts",
    "static-sites-and-comments",
    "writing-for-the-web",
    "my-2026-stack",
    "ten-years-of-blogging",
]
PAGES = ["/", "/about", "/archive", "/newsletter"]
HOURLY_WEIGHTS = [2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 9, 10, 10, 10, 9, 9, 8, 8, 7, 6, 4, 3]
WEEKDAY_FACTORS = [1.0, 1.05, 1.05, 1.0, 0.9, 0.65, 0.7]  # Monday first


Option = TypeVar("Option", bound=tuple[Any, ...])


@dataclass(frozen=True)
class Visitor:
    ip: str
    user_agent: str


def _weighted(rng: random.Random, options: list[Option]) -> Option:
    """Pick one option; each option's first item is its weight."""
    return rng.choices(options, weights=[option[0] for option in options])[0]


def _public_ipv4(rng: random.Random) -> str:
    while True:
        address = ipaddress.IPv4Address(rng.getrandbits(32))
        if address.is_global:
            return str(address)


def _article(rng: random.Random) -> str:
    # Zipf-like: the first articles are read far more than the last.
    rank = min(int(rng.paretovariate(1.1)), len(ARTICLES)) - 1
    return f"/blog/{ARTICLES[rank]}"


class TrafficGenerator:
    """Yield the hits of `visitors` visitors over the `days` days ending at `end`, day by day."""

    def __init__(self, *, site_id: int, domain: str, days: int, visitors: int, end: datetime, seed: int) -> None:
        self.site_id, self.domain = site_id, domain
        self.days, self.end = days, end
        self.rng = random.Random(seed)
        self.visitors = [Visitor(_public_ipv4(self.rng), _weighted(self.rng, USER_AGENTS)[1]) for _ in range(visitors)]

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _hit(
        self,
        visitor: Visitor,
        at: datetime,
        name: str,
        url: str,
        referrer: str = "",
        *,
        props: dict[str, Any] | None = None,
        engaged_ms: int | None = None,
        scroll_depth: int | None = None,
    ) -> Hit:
        return Hit(
            uuid=self._uuid(),
            site_id=self.site_id,
            name=name,
            timestamp=at,
            raw_url=url,
            raw_referrer=referrer,
            props=props or {},
            engaged_ms=engaged_ms,
            scroll_depth=scroll_depth,
            user_agent=visitor.user_agent,
            ip=visitor.ip,
        )

    def _visit(self, visitor: Visitor, start: datetime) -> list[Hit]:
        rng = self.rng
        _, referrer, query = _weighted(rng, ARRIVALS)
        base = f"https://{self.domain}"
        landing = _article(rng) if rng.random() < 0.75 else rng.choice(PAGES)
        pages = [landing]
        while rng.random() < (0.55 if len(pages) == 1 else 0.45) and len(pages) < 8:
            pages.append(_article(rng) if rng.random() < 0.7 else rng.choice(PAGES))
        hits: list[Hit] = []
        at = start
        for index, path in enumerate(pages):
            url = base + path + (query if index == 0 else "")
            page_referrer = referrer if index == 0 else base + pages[index - 1]
            hits.append(self._hit(visitor, at, "pageview", url, page_referrer))
            reading = timedelta(seconds=rng.lognormvariate(2.9, 1.3))  # median ~18 s, a long tail
            if path.startswith("/blog/") and rng.random() < 0.04:
                plan = rng.choice(["free", "pro"])
                hits.append(self._hit(visitor, at + reading / 2, "Signup", base + path, props={"plan": plan}))
            if path.startswith("/blog/") and rng.random() < 0.03:
                download = {"file": "checklist.pdf"}
                hits.append(self._hit(visitor, at + reading / 3, "File Download", base + path, props=download))
            if rng.random() < 0.7:  # the page was hidden or left with engagement recorded
                engaged = min(int(reading.total_seconds() * 1000 * rng.uniform(0.2, 0.9)), 3_600_000)
                depth = min(100, int(rng.betavariate(2, 1.5) * 100))
                hits.append(self._hit(visitor, at + reading, "engagement", url, engaged_ms=engaged, scroll_depth=depth))
            at += reading + timedelta(seconds=rng.uniform(1, 20))
        return hits

    def days_of_hits(self) -> Iterator[list[Hit]]:
        """Yield each day's hits in time order, oldest day first."""
        rng = self.rng
        first_day = (self.end - timedelta(days=self.days)).replace(hour=0, minute=0, second=0, microsecond=0)
        daily_visits = max(1, int(len(self.visitors) * 1.4 / self.days))
        for day_index in range(self.days):
            day = first_day + timedelta(days=day_index)
            growth = 0.8 + 0.4 * day_index / max(1, self.days - 1)
            count = int(daily_visits * growth * WEEKDAY_FACTORS[day.weekday()] * rng.uniform(0.85, 1.15))
            hits: list[Hit] = []
            for _ in range(count):
                visitor = rng.choice(self.visitors)
                hour = rng.choices(range(24), weights=HOURLY_WEIGHTS)[0]
                start = day + timedelta(hours=hour, seconds=rng.uniform(0, 3600))
                if start < self.end:
                    hits.extend(self._visit(visitor, start))
            hits = [h for h in hits if h.timestamp <= self.end]
            hits.sort(key=lambda h: h.timestamp)
            yield hits
