"""The pipeline's steps: named functions over a Hit, in a fixed order; any step may drop the hit.

Steps that need the client address (visitor hash, country) run at the edge, in the ingest
request, so that the address never enters the buffer, the spool or the database. The
remaining steps run wherever the batch is processed: inline, or in a Celery worker. Each step
fills in the Hit's fields that are named as the Event columns they end up in.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone

from sites.exclusions import exclusions_of
from tracker.ingest.hits import FIXABLE, DropReason, Hit
from tracker.pipeline.enrich import geo, hashing
from tracker.pipeline.enrich.referrers import classify_referrer, source_from_utm
from tracker.pipeline.enrich.useragents import parse_user_agent

Step = Callable[[Hit], Hit]
Timings = defaultdict[str, float]
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
# Query parameters that name a source when utm_source is absent, as Plausible reads them.
SOURCE_FALLBACKS = ("ref", "source")
MAX_UTM_LENGTH = 255


# --- edge steps: run in the ingest request, while the address is known ----------------------


def exclude_address(hit: Hit) -> Hit:
    """Drop hits from the address ranges the site's owner excluded; only here is the address known."""
    if hit.ip is not None and exclusions_of(hit.site_id).excludes_address(hit.ip):
        hit.drop = DropReason.EXCLUDED_ADDRESS
    return hit


def hash_visitor(hit: Hit) -> Hit:
    """Set the visitor hashes of the hit's day and the day before, and the visitor's stream partition,
    from the address and user agent."""
    hit.partition = hashing.partition_of(hit.site_id, hit.ip or "", hit.user_agent)
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


EDGE_STEPS: tuple[Step, ...] = (exclude_address, hash_visitor, geolocate)


# --- batch steps ------------------------------------------------------------------------------


def parse_url(hit: Hit) -> Hit:
    """Split the page URL as sent into hostname, path, a query-free URL and the UTM parameters."""
    parts = urlsplit(hit.raw_url)
    host = (parts.hostname or "").lower()
    hit.hostname = host.removeprefix("www.")
    path = parts.path or "/"
    if hit.hash_mode and parts.fragment:
        path = f"{path}#{parts.fragment}"
    hit.path = path[:2000]
    hit.url = f"{parts.scheme}://{parts.netloc}{hit.path}"[:2000]
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


def drop_excluded(hit: Hit) -> Hit:
    """Drop hits from hostnames outside the site's allowlist, or of paths its owner excluded."""
    rules = exclusions_of(hit.site_id)
    if rules.excludes_hostname(hit.hostname):
        hit.drop = DropReason.EXCLUDED_HOSTNAME
    elif rules.excludes_path(hit.path):
        hit.drop = DropReason.EXCLUDED_PATH
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
    referrer = classify_referrer(hit.raw_referrer, hit.hostname)
    hit.referrer = referrer.domain[:253]
    hit.referrer_source = (source_from_utm(hit.utm_source) if hit.utm_source else referrer.source)[:255]
    return hit


def keep_fixed(hit: Hit) -> Hit:
    """Put back the dimensions the sender fixed over those the steps derived, cut to their columns."""
    for name, value in hit.fixed.items():
        limit = FIXABLE.get(name)
        if limit is not None:
            setattr(hit, name, str(value)[:limit])
    return hit


STEPS: tuple[Step, ...] = (parse_url, drop_bots, drop_excluded, parse_ua, classify_source, keep_fixed)


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
    """Derive what needs the client address, then forget the address, whether or not a step dropped the hit
    (a dropped hit still travels to the pipeline, which counts it)."""
    return forget_address(run_steps(hit, EDGE_STEPS))
