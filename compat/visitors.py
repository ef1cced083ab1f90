"""What the compat layer derives from a µAnalytics `ip` before forgetting it: an opaque monthly
visitor token and the country.

µAnalytics counts unique visitors as distinct `ip` strings per UTC calendar month, so the token
must be equal for the same string, website and month however far apart the writes are; the
daily visitor hash cannot be, as its salts are deleted after two days. The token is a keyed
BLAKE2b of site|YYYY-MM|ip under a key derived from MICROANALYTICS_TOKEN_SECRET (default:
SECRET_KEY), which never reaches the database, so a copy of the database alone cannot test
addresses against tokens. It is stored as the event's visitor hash and shown as 16 hex digits
in place of the `ip` (the specification's deviation 4). Changing the secret changes the tokens
of later writes, so a month written on both sides of the change counts its visitors twice.
"""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import datetime
from functools import lru_cache

from django.conf import settings

from tracker.pipeline.enrich import geo

NO_ADDRESS = 0  # the token of "": every analytic without an ip counts as one visitor per month
_MASK = (1 << 64) - 1


@lru_cache(maxsize=2)
def _key(secret: str) -> bytes:
    return hashlib.blake2b(secret.encode(), person=b"ff-compat-ip", digest_size=32).digest()


def _secret() -> str:
    return settings.MICROANALYTICS_TOKEN_SECRET or settings.SECRET_KEY


def ip_token(site_id: int, moment: datetime, ip: str) -> int:
    """Return the signed 64-bit token of an ip string in a site and UTC month; NO_ADDRESS for ""."""
    if not ip:
        return NO_ADDRESS
    text = f"{site_id}|{moment:%Y-%m}|{ip}".encode(errors="surrogatepass")
    token = int.from_bytes(hashlib.blake2b(text, key=_key(_secret()), digest_size=8).digest(), "big", signed=True)
    return token or 1  # NO_ADDRESS stays reserved for ""


def token_text(visitor_hash: int) -> str:
    """Return the `ip` shown for a stored visitor hash: 16 hex digits, or "" for NO_ADDRESS."""
    return "" if visitor_hash == NO_ADDRESS else f"{visitor_hash & _MASK:016x}"


def _address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(ip)
    except ValueError:
        pass
    host, colon, port = ip.rpartition(":")
    if not colon or not port.isascii() or not port.isdigit():
        return None
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


def country_of(ip: str) -> str:
    """Return the upper-case country code of an ip (or host:port) string; "" when none can be known."""
    address = _address(ip)
    if address is None:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_global:  # private, loopback, reserved, documentation ranges...
        return ""
    return geo.country_of(str(address)).upper()
