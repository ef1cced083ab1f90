"""The enrichment pipeline: named steps over a Hit, in a fixed order, then one batch write.

Steps that need the client address (visitor hash, country) run at the edge, in the ingest
request, so that the address never enters the buffer, the spool or the database. The
remaining steps run wherever the batch is processed: inline, or in a Celery worker.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.db import transaction
from django.utils import timezone

from tracker import geo, hashing, rollups, sessions, storage
from tracker.hits import FIXABLE, DropReason, Hit
from tracker.models import Site
from tracker.referrers import classify_referrer, source_from_utm
from tracker.useragents import parse_user_agent

logger = logging.getLogger(__name__)

Step = Callable[[Hit], Hit]
Timings = defaultdict[str, float]
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
# Query parameters that name a source when utm_source is absent, as Plausible reads them.
SOURCE_FALLBACKS = ("ref", "source")
MAX_UTM_LENGTH = 255


# --- edge steps: run in the ingest request, while the address is known ----------------------


def hash_visitor(hit: Hit) -> Hit:
    """Set the visitor hashes of the hit's day and the day before from the address and user agent."""
    if hit.ip is None:
        return hit
    salt, previous = hashing.salts_for_day(hit.timestamp.astimezone(UTC).date(), timezone.now())
    hit.visitor_hash = hashing.visitor_hash(salt, hit.site_id, hit.ip, hit.user_agent)
    if previous is not None:
        hit.prev_visitor_hash = hashing.visitor_hash(previous, hit.site_id, hit.ip, hit.user_agent)
    return hit


def geolocate(hit: Hit) -> Hit:
    """Set the country from the address."""
    if hit.ip is not None:
        hit.country = geo.country_of(hit.ip)
    return hit


def forget_address(hit: Hit) -> Hit:
    hit.ip = None
    return hit


EDGE_STEPS: tuple[Step, ...] = (hash_visitor, geolocate, forget_address)


# --- batch steps ------------------------------------------------------------------------------


def parse_url(hit: Hit) -> Hit:
    """Split the page URL into hostname, path, a query-free URL and the UTM parameters."""
    parts = urlsplit(hit.url)
    host = (parts.hostname or "").lower()
    hit.hostname = host.removeprefix("www.")
    path = parts.path or "/"
    if hit.hash_mode and parts.fragment:
        path = f"{path}#{parts.fragment}"
    hit.path = path[:2000]
    hit.clean_url = f"{parts.scheme}://{parts.netloc}{hit.path}"[:2000]
    if parts.query:
        query = parse_qs(parts.query, keep_blank_values=False)
        for name in UTM_FIELDS:
            values = query.get(name)
            if values:
                setattr(hit, name, values[0].strip()[:MAX_UTM_LENGTH])
        if not hit.utm_source:
            for name in SOURCE_FALLBACKS:
                if query.get(name):
                    hit.utm_source = query[name][0].strip()[:MAX_UTM_LENGTH]
                    break
    return hit


def drop_bots(hit: Hit) -> Hit:
    """Drop hits from crawlers, monitors and headless browsers."""
    if parse_user_agent(hit.user_agent).is_bot:
        hit.drop = DropReason.BOT
    return hit


def parse_ua(hit: Hit) -> Hit:
    """Set browser, OS and device type from the user agent (cached per agent string)."""
    agent = parse_user_agent(hit.user_agent)
    hit.browser, hit.browser_version = agent.browser, agent.browser_version
    hit.os, hit.os_version = agent.os, agent.os_version
    hit.device_type = agent.device_type
    return hit


def classify_source(hit: Hit) -> Hit:
    """Set the referring domain and the source; utm_source wins over the referrer."""
    referrer = classify_referrer(hit.referrer, hit.hostname)
    hit.referrer_domain = referrer.domain[:253]
    hit.source = (source_from_utm(hit.utm_source) if hit.utm_source else referrer.source)[:255]
    return hit


def keep_fixed(hit: Hit) -> Hit:
    """Put back the dimensions the sender fixed over those the steps derived, cut to their columns."""
    for name, value in hit.fixed.items():
        limit = FIXABLE.get(name)
        if limit is not None:
            setattr(hit, name, str(value)[:limit])
    return hit


STEPS: tuple[Step, ...] = (parse_url, drop_bots, parse_ua, classify_source, keep_fixed)


def run_steps(hit: Hit, steps: Sequence[Step], timings: Timings | None = None) -> Hit:
    """Run the steps in order, stopping at the first that drops the hit."""
    for step in steps:
        if timings is None:
            hit = step(hit)
        else:
            started = time.perf_counter()
            hit = step(hit)
            timings[step.__name__] += time.perf_counter() - started
        if hit.drop is not None:
            break
    return hit


def pseudonymise(hit: Hit) -> Hit:
    """Derive what needs the client address, then forget the address."""
    return run_steps(hit, EDGE_STEPS)


# --- the batch ---------------------------------------------------------------------------------


@dataclass
class BatchResult:
    received: int = 0
    stored: int = 0
    dropped: Counter[DropReason] = field(default_factory=Counter)
    step_seconds: Timings = field(default_factory=lambda: defaultdict(float))


def _drop_unknown_sites(hits: list[Hit], result: BatchResult) -> list[Hit]:
    """Drop hits of sites deleted since they were accepted."""
    known = set(Site.objects.filter(id__in={h.site_id for h in hits}).values_list("id", flat=True))
    kept = [h for h in hits if h.site_id in known]
    if len(kept) < len(hits):
        result.dropped[DropReason.UNKNOWN_SITE] += len(hits) - len(kept)
    return kept


def _drop_duplicates(hits: list[Hit], result: BatchResult) -> list[Hit]:
    """Drop retries and replays: uuids seen earlier in the batch or already stored."""
    stored = storage.existing_event_uuids([h.uuid for h in hits])
    kept: list[Hit] = []
    for hit in hits:
        if hit.uuid in stored:
            result.dropped[DropReason.DUPLICATE] += 1
        else:
            stored.add(hit.uuid)
            kept.append(hit)
    return kept


def _event_row(hit: Hit) -> tuple[Any, ...]:
    """Return the hit's event in storage.EVENT_FIELDS order."""
    return (
        hit.uuid,
        hit.site_id,
        hit.session_id,
        hit.name,
        hit.timestamp,
        hit.hostname,
        hit.path,
        hit.clean_url,
        hit.referrer_domain,
        hit.source,
        hit.utm_source,
        hit.utm_medium,
        hit.utm_campaign,
        hit.utm_term,
        hit.utm_content,
        hit.props,
        hit.engaged_ms,
        hit.scroll_depth,
        hit.country,
        hit.browser,
        hit.browser_version,
        hit.os,
        hit.os_version,
        hit.device_type,
        hit.visitor_hash,
    )


def _store(enriched: list[Hit], result: BatchResult) -> None:
    """Store enriched hits: sessions upserted, events inserted, rollup days marked, in one transaction."""
    if not enriched:
        return
    with transaction.atomic():
        sessions.lock_session_writes()
        enriched = _drop_duplicates(_drop_unknown_sites(enriched, result), result)
        started = time.perf_counter()
        visits = sessions.assign_sessions(enriched)
        result.step_seconds["assign_session"] += time.perf_counter() - started
        started = time.perf_counter()
        storage.insert_events([_event_row(h) for h in enriched])
        rollups.mark_dirty(visits)
        result.step_seconds["store_events"] += time.perf_counter() - started
        result.stored = len(enriched)


def store_enriched(hits: Sequence[Hit]) -> BatchResult:
    """Store hits that went through the steps before (events restored from the archive).

    The same path as process_batch after enrichment, under the same lock: stored uuids are
    skipped, visits are rebuilt or extended, and the rollup days they touch are marked dirty.
    """
    result = BatchResult(received=len(hits))
    _store(list(hits), result)
    return result


def process_batch(hits: Sequence[Hit]) -> BatchResult:
    """Enrich a batch and store it: sessions upserted and events inserted in one transaction.

    Idempotent on the event uuid: replaying a batch stores nothing twice and counts nothing
    twice in sessions.
    """
    result = BatchResult(received=len(hits))
    enriched: list[Hit] = []
    for hit in hits:
        hit = run_steps(hit, STEPS, result.step_seconds)
        if hit.drop is None:
            enriched.append(hit)
        else:
            result.dropped[hit.drop] += 1
    _store(enriched, result)
    logger.debug(
        "batch received=%d stored=%d dropped=%s",
        result.received,
        result.stored,
        dict(result.dropped) or "{}",
    )
    return result
