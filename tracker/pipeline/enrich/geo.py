"""Country of a client address, from a GeoIP2/GeoLite2 or DB-IP Lite country database."""

from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache

import geoip2.database
import geoip2.errors
from django.conf import settings

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _reader(path: str) -> geoip2.database.Reader | None:
    if not path:
        return None
    try:
        return geoip2.database.Reader(path)
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
        # An IPv4 client seen through a dual-stack socket: its country is the IPv4 address's.
        mapped = getattr(address, "ipv4_mapped", None)
        return reader.country(mapped or address).country.iso_code or ""
    except (geoip2.errors.AddressNotFoundError, ValueError):
        return ""


def forget_cached_readers() -> None:
    """Close cached readers so a changed GEOIP_DATABASE takes effect (used by tests)."""
    _reader.cache_clear()
