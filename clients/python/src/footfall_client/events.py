"""Check one event against Footfall's ingest limits and encode it, so a mistake raises in the
caller's track() instead of being rejected later in a background thread where nobody sees it."""

from __future__ import annotations

import ipaddress
import json
import math
import os
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

# Footfall's limits for one event (its ingest rejects anything beyond them).
MAX_NAME = 120
MAX_URL = 2000
MAX_REFERRER = 2000
MAX_USER_AGENT = 1000
MAX_DOMAIN = 1000
MAX_PROPS = 30
MAX_PROP_KEY = 300
MAX_PROP_VALUE = 2000
MAX_PAST = timedelta(hours=72)
MAX_FUTURE = timedelta(minutes=5)
INT_LIMIT = 2**63


def new_event_id() -> str:
    """A time-ordered UUID (version 7, RFC 9562: Unix milliseconds, then random bits), as Footfall gives an
    event sent without an id: its events table indexes the ids, and ids that grow with time are appended
    to that index instead of landing on random pages of it. The layout of Python 3.14's uuid.uuid7()."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value = value & ~(0xF000 << 64) | 0x7000 << 64  # version 7
    value = value & ~(0xC << 60) | 0x8 << 60  # RFC 9562 variant
    return str(uuid.UUID(int=value))


PropValue = str | int | float | bool
Timestamp = datetime | int | float


def _text(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a str, not {type(value).__name__}")
    if "\x00" in value:
        raise ValueError(f"{field} must not contain NUL characters")
    text = value.strip()
    if not text:
        raise ValueError(f"{field} must not be empty")
    if len(text) > limit:
        raise ValueError(f"{field} is longer than {limit} characters")
    return text


def check_domain(domain: object) -> str:
    """Return the site domain (or comma-separated domains) as Footfall will read it."""
    return _text(domain, "domain", MAX_DOMAIN)


def check_url(url: object, field: str = "url") -> str:
    """Return the URL if it is an absolute http(s) URL within Footfall's length limit."""
    text = _text(url, field, MAX_URL)
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError as exc:
        raise ValueError(f"{field} is not a valid URL: {text!r}") from exc
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise ValueError(f"{field} must be an absolute http or https URL, not {text!r}")
    return text


def _prop_value(key: str, value: object) -> PropValue:
    # bool before int: True is an int to Python but a boolean to Footfall.
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) >= INT_LIMIT:
            raise ValueError(f"props[{key!r}] is out of the 64-bit integer range")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"props[{key!r}] must be a finite number")
        return value
    if isinstance(value, str):
        if len(value) > MAX_PROP_VALUE or "\x00" in value:
            raise ValueError(f"props[{key!r}] must be at most {MAX_PROP_VALUE} characters, without NUL")
        return value
    raise TypeError(f"props[{key!r}] must be a str, int, float or bool, not {type(value).__name__}")


def check_props(props: Mapping[str, object]) -> dict[str, PropValue]:
    """Return the properties if Footfall can store every one of them."""
    if not isinstance(props, Mapping):
        raise TypeError(f"props must be a mapping, not {type(props).__name__}")
    if len(props) > MAX_PROPS:
        raise ValueError(f"props has {len(props)} keys; Footfall keeps at most {MAX_PROPS}")
    checked: dict[str, PropValue] = {}
    for key, value in props.items():
        if not isinstance(key, str) or not 0 < len(key) <= MAX_PROP_KEY or "\x00" in key:
            raise ValueError(f"property names must be strings of 1 to {MAX_PROP_KEY} characters, not {key!r}")
        checked[key] = _prop_value(key, value)
    return checked


def check_ip(ip: object) -> str:
    """Return the address in its canonical text form."""
    if not isinstance(ip, str):
        raise TypeError(f"ip must be a str, not {type(ip).__name__}")
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError as exc:
        raise ValueError(f"ip must be an IPv4 or IPv6 address, not {ip!r}") from exc


def check_timestamp(timestamp: object, now: datetime) -> str | int | float:
    """Return the timestamp as Footfall reads it (ISO 8601 or Unix seconds) if its ingest will take it."""
    encoded: str | int | float
    if isinstance(timestamp, datetime):
        if timestamp.tzinfo is None or timestamp.utcoffset() is None:
            raise ValueError("timestamp must be timezone-aware (for example datetime.now(UTC))")
        moment, encoded = timestamp, timestamp.isoformat()
    elif isinstance(timestamp, int | float) and not isinstance(timestamp, bool):
        try:
            moment, encoded = datetime.fromtimestamp(timestamp, tz=UTC), timestamp
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"timestamp {timestamp!r} is not a valid Unix time") from exc
    else:
        raise TypeError(f"timestamp must be an aware datetime or Unix seconds, not {type(timestamp).__name__}")
    if not now - MAX_PAST <= moment <= now + MAX_FUTURE:
        raise ValueError("timestamp must be at most 72 hours old and at most 5 minutes ahead")
    return encoded


def check_id(event_id: object) -> str:
    """Return the event id as a canonical UUID string."""
    if isinstance(event_id, uuid.UUID):
        return str(event_id)
    if not isinstance(event_id, str):
        raise TypeError(f"id must be a UUID or str, not {type(event_id).__name__}")
    try:
        return str(uuid.UUID(event_id))
    except ValueError as exc:
        raise ValueError(f"id must be a UUID, not {event_id!r}") from exc


def build_event(
    *,
    domain: object,
    name: object,
    url: object,
    referrer: object = None,
    props: Mapping[str, object] | None = None,
    ip: object = None,
    user_agent: object = None,
    timestamp: object = None,
    event_id: object = None,
) -> dict[str, object]:
    """Return the event as Footfall's /api/events takes it; raise TypeError or ValueError when it would be rejected.

    The id is always set, here and once: every retry of the event carries it, so Footfall stores
    the event once however often it is sent.
    """
    event: dict[str, object] = {
        "id": check_id(event_id) if event_id is not None else new_event_id(),
        "domain": check_domain(domain),
        "name": _text(name, "name", MAX_NAME),
        "url": check_url(url),
    }
    if referrer:
        if not isinstance(referrer, str):
            raise TypeError(f"referrer must be a str, not {type(referrer).__name__}")
        # Footfall keeps only the referring domain and cuts long referrers itself; so do we.
        event["referrer"] = referrer.replace("\x00", "")[:MAX_REFERRER]
    if props:
        event["props"] = check_props(props)
    if ip is not None:
        event["ip"] = check_ip(ip)
    if user_agent is not None:
        if not isinstance(user_agent, str):
            raise TypeError(f"user_agent must be a str, not {type(user_agent).__name__}")
        event["user_agent"] = user_agent.replace("\x00", "")[:MAX_USER_AGENT]
    if timestamp is not None:
        event["timestamp"] = check_timestamp(timestamp, datetime.now(UTC))
    return event


def encode(event: Mapping[str, object]) -> bytes:
    """Return the event as compact JSON, ready to be joined into a request body."""
    return json.dumps(event, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
