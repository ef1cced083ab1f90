"""Login brute-force protection (django-axes) without storing anyone's address.

Axes counts failures per username and client address and keeps them in the database; it is
given a pseudonym instead of the address: a keyed hash shaped as an IPv6 address from the
unique-local range fd00::/8, stable per client (so lockouts work) and not reversible.
"""

from __future__ import annotations

import hashlib
import ipaddress

from django.conf import settings
from django.http import HttpRequest

from tracker.ingest.validation import client_ip


def pseudonymous_address(address: str) -> str:
    digest = hashlib.blake2b(address.encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=15).digest()
    return str(ipaddress.IPv6Address(b"\xfd" + digest))


def login_client_address(request: HttpRequest) -> str:
    """AXES_CLIENT_IP_CALLABLE: the pseudonym of the address the request came from."""
    address = client_ip(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.TRUSTED_PROXY_HOPS,
    )
    return pseudonymous_address(address)
