"""Country of a client address, from a GeoIP2/GeoLite2 or DB-IP Lite country database.

Read with maxminddb, the reader geoip2 is built on: every ingest request asks, and its plain
record is a sixth of the cost of geoip2's model objects.
"""

from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache

import maxminddb
from django.conf import settings

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _reader(path: str) -> maxminddb.Reader | None:
    if not path:
        return None
    try:
        return maxminddb.open_database(path)
    except (OSError, ValueError):
        logger.warning("GeoIP database %s cannot be opened; countries will be empty", path)
        return None


def country_of(ip: str) -> str:
    """Return the ISO 3166-1 alpha-2 code of the address's country, or "" when unknown."""
    reader = _reader(settings.GEOIP_DATABASE)
    if reader is None:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    # An IPv4 client seen through a dual-stack socket: its country is the IPv4 address's.
    record = reader.get(getattr(address, "ipv4_mapped", None) or address)
    country = record.get("country") if isinstance(record, dict) else None
    code = country.get("iso_code") if isinstance(country, dict) else None
    return code if isinstance(code, str) else ""


def forget_cached_readers() -> None:
    """Close cached readers so a changed GEOIP_DATABASE takes effect (used by tests)."""
    _reader.cache_clear()
