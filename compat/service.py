"""µAnalytics analytics in and out: writes become Footfall hits on the ingest path, reads are
answered by the stats layer.

Writes. Each analytic becomes a Hit whose platform, referrer domain and path are fixed as
µAnalytics derives them (tracker.hits.FIXABLE), whose visitor hash is the monthly ip token and
whose country comes from the ip (compat.visitors); the ip itself is never put on the hit. The
hit carries the visitor's referer, so Footfall's own source shows on the dashboards, but no
user agent: µAnalytics stores what its client sends, curl included, and Footfall's bot filter
would drop it. Hits go to the buffer like /api/events' (buffer.push): in the embedded mode that
is inline; with Redis they are processed in the request too (MICROANALYTICS_INLINE_WRITES, on by
default), so the very next read sees them as the contract says; turned off, they take the stream
(or the spool) and wait for a worker's next batch.

Reads are counted by the stats layer from raw events (stats.sources.RAW), not rollups: µAnalytics' unique visitors
are distinct tokens per calendar month, which a day-by-day rollup merge cannot give for tokens
that live a month. Footfall's engagement reports are not analytics and are left out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import orjson
import pycountry
from django.conf import settings

import stats
from compat import visitors
from compat.auth import denied, websites_owner
from compat.errors import INSERT_FAILED, INVALID_DATABASE_NAME, CompatError
from compat.parsing import (
    Analytic,
    ReadParams,
    format_time,
    format_unix,
    parse_time,
    platform_of,
    referer_domain_of,
    referer_of,
    user_agent_of,
)
from compat.websites import (
    check_name,
    website_create,
    website_get,
    websites_mark_long_lived_ids,
)
from sites.models import Site
from sites.selectors import KeyAccess
from stats import DateRange, Filter, Kind, Operator, Result, StatsQuery
from stats.dimensions import ENGAGEMENT
from stats.sources import RAW
from tracker import buffer
from tracker.buffer import BufferUnavailable
from tracker.ingest.hits import Hit, new_event_uuid
from tracker.lifecycle.deletion import site_delete
from tracker.models import Event

MAX_EVENT = 120
URL_SAFE = ":/?&=#%+@!$'()*,;~"
MAX_REFERRER = 2000
# Every analytic, that is every event but Footfall's engagement reports.
ANALYTICS = (Filter("event:name", Operator.IS_NOT, (ENGAGEMENT,)),)
# µAnalytics' aggregate routes and the stats property each groups by (the event's own value).
GROUPS = {
    "countries": "event:country",
    "platforms": "event:os",
    "domains": "event:referrer",
    "events": "event:name",
}


# --- writes ----------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    # PostgreSQL text cannot hold NUL.
    return text.replace("\x00", "")


def _page_url(site: Site, path: str) -> str:
    """A URL for the pipeline to read the host and UTM parameters from; the path itself is kept as sent."""
    page = path if path.startswith("/") else f"/{path}"
    return f"https://{quote(site.domain, safe='')}{quote(page, safe=URL_SAFE)}"


@dataclass(frozen=True)
class Stored:
    """An analytic ready to store: the values µAnalytics keeps, with the ip still in hand."""

    time: datetime
    event: str
    path: str
    ip: str
    platform: str
    referer_domain: str
    referer: str = ""


def stored_from(analytic: Analytic, *, now: datetime, bulk: bool) -> Stored:
    """Apply µAnalytics' rules: time or now, platform and referrer domain from headers (bulk: unless sent)."""
    headers = analytic.headers
    platform = analytic.platform if bulk else ""
    referer_domain = analytic.referer_domain if bulk else ""
    referer = referer_of(headers)
    return Stored(
        time=parse_time(analytic.time) or now.replace(microsecond=0),
        event=analytic.event,
        path=analytic.path,
        ip=analytic.ip,
        platform=platform or platform_of(user_agent_of(headers)),
        referer_domain=referer_domain or referer_domain_of(referer),
        referer=referer,
    )


def hit_for(site: Site, stored: Stored, *, event_uuid: str | None = None, country: str | None = None) -> Hit:
    """Return the hit of an analytic; the ip becomes a token and a country here and goes no further.

    `country` (upper case) replaces the one derived from the ip (the importer keeps the stored one).
    """
    path = _clean(stored.path)
    return Hit(
        uuid=event_uuid or str(new_event_uuid()),
        site_id=site.id,
        name=_clean(stored.event)[:MAX_EVENT],
        timestamp=stored.time,
        raw_url=_page_url(site, path),
        raw_referrer=_clean(stored.referer)[:MAX_REFERRER],
        visitor_hash=visitors.ip_token(site.id, stored.time, stored.ip),
        country=visitors.country_of(stored.ip) if country is None else country,
        fixed={"path": path, "os": _clean(stored.platform), "referrer": _clean(stored.referer_domain)},
    )


def analytics_store(analytics: Iterable[tuple[str, Stored]], *, access: KeyAccess) -> int:
    """Store (website, analytic) pairs, all or none; create missing websites. Return how many were stored.

    Websites are created, and committed, before the hits are handed on, so a worker never meets
    a hit of a site it cannot see; if the hits cannot be taken, the websites created for them go.
    """
    pairs = list(analytics)
    if not pairs:
        return 0
    found: dict[str, Site | None] = {}
    for name in dict.fromkeys(name for name, _ in pairs):
        check_name(name)
        site = website_get(name)
        allowed = access.can_create() if site is None else access.can_write(site.id)
        if not allowed:
            raise denied(name)
        found[name] = site
    sites: dict[str, Site] = {}
    created: list[Site] = []
    for name, known in found.items():
        if known is None:
            known, new = website_create(name=name, owner=websites_owner(access))
            if new:
                created.append(known)
        sites[name] = known
    websites_mark_long_lived_ids(sites.values())
    try:
        buffer.push(
            [hit_for(sites[name], stored) for name, stored in pairs], inline=settings.MICROANALYTICS_INLINE_WRITES
        )
    except BufferUnavailable as exc:
        for site in created:
            if not Event.objects.filter(site=site).exists():
                site_delete(site)
        raise CompatError(
            INSERT_FAILED, f"The analytics could not be stored: {exc}", retry_after=exc.retry_after
        ) from exc
    return len(pairs)


def website_remove(name: str, *, access: KeyAccess) -> None:
    """Delete a website; one the credentials can neither read, write nor delete is as good as missing."""
    site = website_get(name)
    if site is None or not (access.can_read(site.id) or access.can_write(site.id) or access.can_delete(site.id)):
        raise CompatError(INVALID_DATABASE_NAME, f"No website {name!r}.")
    if not access.can_delete(site.id):
        raise denied(name)
    site_delete(site)


# --- reads ------------------------------------------------------------------------------------------


def readable_site(name: str, *, access: KeyAccess) -> Site:
    """Return the website's site, or raise InvalidDatabaseName whether it is missing or out of reach."""
    site = website_get(name)
    if site is None or not access.can_read(site.id):
        raise CompatError(INVALID_DATABASE_NAME, f"No website {name!r}.")
    return site


_START = datetime.min.replace(tzinfo=UTC)
_END = datetime.max.replace(tzinfo=UTC)


def span_of(params: ReadParams) -> DateRange:
    """Return start ≤ t ≤ end, to the second, as the moments [start, end + 1 s)."""
    start = params.start or _START
    end = _END if params.end is None or params.end >= _END - timedelta(seconds=1) else params.end + timedelta(seconds=1)
    return DateRange.between(start, end)


def _run(site: Site, span: DateRange, kind: Kind, **fields: Any) -> Result:
    """Count the site's analytics over the span from raw events: events (µAnalytics' total) and visitors."""
    query = StatsQuery(
        site_id=site.id,
        dates=span,
        metrics=("events", "visitors"),
        filters=ANALYTICS,
        kind=kind,
        sparse=True,
        limit=None,
        **fields,
    )
    return stats.run(query, source=RAW)


def _months(site: Site, span: DateRange) -> list[DateRange]:
    """Return the parts of the span in each UTC calendar month that holds analytics."""
    start, end = span.utc_bounds()
    parts = []
    for month, _ in _run(site, span, Kind.TIMESERIES, interval="month").rows:
        first = datetime(month.year, month.month, 1, tzinfo=UTC)
        following = _END if month.year == 9999 and month.month == 12 else (first + timedelta(days=32)).replace(day=1)
        parts.append(DateRange.between(max(start, first), min(end, following)))
    return parts


def analytics_list(site: Site, params: ReadParams) -> Generator[bytes]:
    """Yield every analytic in range as a JSON object, oldest first, read a chunk at a time."""
    query = StatsQuery(site_id=site.id, dates=span_of(params), filters=ANALYTICS)
    fields = ("timestamp", "name", "path", "visitor_hash", "os", "referrer", "country")
    for moment, name, path, visitor_hash, platform, referrer, country in stats.event_rows(query, fields):
        yield orjson.dumps(
            {
                "time": format_time(moment),
                "event": name,
                "path": path,
                "ip": visitors.token_text(visitor_hash),
                "platform": platform,
                "refererDomain": referrer,
                "countryCode": country.lower(),
            }
        )


def analytics_count(site: Site, params: ReadParams) -> dict[str, int]:
    """Return the total and the unique visitors (distinct tokens per calendar month, summed)."""
    months = [values for _, values in _run(site, span_of(params), Kind.TIMESERIES, interval="month").rows]
    return {"total": sum(m["events"] for m in months), "unique": sum(m["visitors"] for m in months)}


def _by_month(site: Site, params: ReadParams, kind: Kind, **fields: Any) -> dict[Any, Counter[str]]:
    """Count each row's events and visitors over the span, summed over the calendar months it spans when
    unique visitors are wanted (µAnalytics counts a token once per month)."""
    span = span_of(params)
    parts = _months(site, span) if params.unique else [span]
    summed: dict[Any, Counter[str]] = defaultdict(Counter)
    for part in parts:
        for key, values in _run(site, part, kind, **fields).rows:
            summed[key].update(values)
    return summed


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """Return the English name of an ISO 3166 alpha-2 code (its common name where it has one)."""
    country = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def analytics_groups(site: Site, group: str, params: ReadParams) -> list[dict[str, Any]]:
    """Return {id, label, total, unique} per value, by total descending, then id."""
    grouped = _by_month(site, params, Kind.BREAKDOWN, breakdown=GROUPS[group])
    merged: dict[str, Counter[str]] = defaultdict(Counter)
    for value, counts in grouped.items():
        merged[value.lower() if group == "countries" else value].update(counts)
    rows = []
    for value, counts in sorted(merged.items(), key=lambda item: (-item[1]["events"], item[0])):
        if counts["events"]:
            label = (country_name(value) if value else "") if group == "countries" else value
            unique = counts["visitors"] if params.unique else 0
            rows.append({"id": value, "label": label, "total": counts["events"], "unique": unique})
    return rows


def analytics_series(site: Site, params: ReadParams) -> list[dict[str, Any]]:
    """Return {start, end, total, unique} per epoch-aligned bucket holding analytics, oldest first."""
    seconds = params.interval
    buckets = _by_month(site, params, Kind.TIMESERIES, interval=f"{seconds}s")
    return [
        {
            "start": format_unix(start),
            "end": format_unix(start + seconds),
            "total": counts["events"],
            "unique": counts["visitors"] if params.unique else 0,
        }
        for start, counts in sorted(buckets.items())
        if counts["events"]
    ]
