"""Validate incoming events, stamp them with server time and a uuid, and hand them to the buffer.

No enrichment and no ORM writes happen here beyond the cached site lookup; what needs the
client address (visitor hash, country) is derived by the pipeline's edge steps, after which
the address is dropped.
"""

from __future__ import annotations

import ipaddress
import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson

from analytics_site.errors import ApiError
from sites.models import normalise_domain
from sites.selectors import site_ids_by_domain
from tracker import buffer, pipeline
from tracker.ingest.hits import Hit, new_event_uuid

MAX_BROWSER_EVENTS = 20
MAX_SERVER_EVENTS = 1000
MAX_NAME = 120
MAX_URL = 2000
MAX_REFERRER = 2000
MAX_USER_AGENT = 1000
MAX_PROPS = 30
MAX_PROP_KEY = 300
MAX_PROP_VALUE = 2000
MAX_ENGAGED_MS = 86_400_000
MAX_PAST = timedelta(hours=72)
MAX_FUTURE = timedelta(minutes=5)

# Plausible's short field names, so its tracker script and npm package work unchanged.
ALIASES = {
    "n": "name",
    "u": "url",
    "d": "domain",
    "r": "referrer",
    "p": "props",
    "m": "props",
    "meta": "props",
    "h": "hash_mode",
    "e": "engaged_ms",
    "sd": "scroll_depth",
}


@dataclass(frozen=True)
class Rejection:
    index: int
    code: str
    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "code": self.code, "message": self.message, "field": self.field}


@dataclass
class Batch:
    """The outcome of validating one request: hits to buffer and per-event rejections."""

    hits: list[Hit] = field(default_factory=list)
    accepted: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def response_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"accepted": self.accepted, "rejected": [r.as_dict() for r in self.rejected]}
        if not self.accepted and self.rejected:
            first = self.rejected[0]
            body["error"] = {"code": first.code, "message": first.message, "field": first.field}
        return body


def invalid(field_name: str, message: str) -> ApiError:
    return ApiError("invalid_field", message, field=field_name)


# --- request-level parsing -----------------------------------------------------------------


def parse_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError("invalid_json", "The body is not valid UTF-8 JSON.") from exc


def canonical_ip(text: str) -> str:
    """Return the address in its canonical form; an IPv4-mapped IPv6 address (::ffff:a.b.c.d, as a
    dual-stack socket reports IPv4 clients) as the IPv4 address it is. ValueError if it is no address."""
    address = ipaddress.ip_address(text.strip())
    return str(getattr(address, "ipv4_mapped", None) or address)


def normalise_ip(text: str) -> str:
    """Return the address in its canonical form (canonical_ip); text that is no address stays."""
    try:
        return canonical_ip(text)
    except ValueError:
        return text


def client_ip(remote_addr: str, forwarded_for: str, trusted_hops: int) -> str:
    """Return the client address: REMOTE_ADDR, or the X-Forwarded-For entry our own proxies added."""
    if trusted_hops > 0 and forwarded_for:
        chain = [part.strip() for part in forwarded_for.split(",") if part.strip()]
        if chain:
            candidate = chain[max(0, len(chain) - trusted_hops)]
            try:
                return canonical_ip(candidate)
            except ValueError:
                pass
    return normalise_ip(remote_addr)


def check_size(content_length: str | None, body: bytes | None, limit: int) -> None:
    try:
        declared = int(content_length or 0)
    except ValueError:
        declared = 0
    if declared > limit or (body is not None and len(body) > limit):
        raise ApiError("payload_too_large", f"The body is larger than {limit} bytes.", status=413)


# --- field validation ------------------------------------------------------------------------


def _canonical(raw: Mapping[str, Any]) -> dict[str, Any]:
    event = {ALIASES.get(k, k): v for k, v in raw.items() if k in ALIASES}
    event.update({k: v for k, v in raw.items() if k not in ALIASES})  # long names win
    return event


def _text(value: Any, name: str, *, required: bool, limit: int, truncate: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise invalid(name, f"'{name}' is required.")
        return ""
    if not isinstance(value, str):
        raise invalid(name, f"'{name}' must be a string.")
    if "\x00" in value:
        raise invalid(name, f"'{name}' must not contain NUL characters.")
    value = value.strip()
    if len(value) > limit:
        if not truncate:
            raise invalid(name, f"'{name}' is longer than {limit} characters.")
        value = value[:limit]
    if required and not value:
        raise invalid(name, f"'{name}' is required.")
    return value


# Apps send their own schemes (app://localhost/settings), as Plausible's Events API takes them; these
# never name a page of a site.
REFUSED_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about", "filesystem"})
SCHEME = re.compile(r"[a-z][a-z0-9+.-]*\Z")


def _url(value: Any) -> str:
    url = _text(value, "url", required=True, limit=MAX_URL)
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise invalid("url", "'url' is not a valid URL.") from exc
    scheme = parts.scheme.lower()
    web = scheme in ("http", "https")
    if not SCHEME.match(scheme) or scheme in REFUSED_SCHEMES or not host or not (web or parts.path.startswith("/")):
        raise invalid("url", "'url' must be an absolute URL with a host (and a path, for an app's own scheme).")
    return url


def _number(value: Any, name: str, upper: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid(name, f"'{name}' must be a number.")
    if not 0 <= value <= upper:
        raise invalid(name, f"'{name}' must be between 0 and {upper}.")
    return round(value)


def _props(value: Any) -> dict[str, str | int | float | bool]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):  # older Plausible trackers send props as a JSON string
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise invalid("props", "'props' must be an object.") from exc
    if not isinstance(value, dict):
        raise invalid("props", "'props' must be an object.")
    if len(value) > MAX_PROPS:
        raise invalid("props", f"'props' has more than {MAX_PROPS} keys.")
    props: dict[str, str | int | float | bool] = {}
    for key, item in value.items():
        if not key or len(key) > MAX_PROP_KEY or "\x00" in key:
            raise invalid("props", f"Property names must be 1 to {MAX_PROP_KEY} characters.")
        if item is None:
            continue
        if isinstance(item, str):
            if len(item) > MAX_PROP_VALUE or "\x00" in item:
                raise invalid("props", f"Property {key!r} is longer than {MAX_PROP_VALUE} characters.")
        elif isinstance(item, bool | int):
            if not isinstance(item, bool) and abs(item) >= 2**63:
                raise invalid("props", f"Property {key!r} is out of range.")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise invalid("props", f"Property {key!r} must be a finite number.")
        else:
            raise invalid("props", f"Property {key!r} must be a string, number or boolean.")
        props[key] = item
    return props


def _event_id(value: Any) -> str | None:
    if value is None or value == "":
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise invalid("id", "'id' must be a UUID.") from exc


def _timestamp(value: Any, now: datetime) -> datetime:
    if value is None:
        return now
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, int | float):
            moment = datetime.fromtimestamp(value, tz=UTC)
        elif isinstance(value, str):
            moment = datetime.fromisoformat(value)
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        else:
            raise TypeError
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise invalid("timestamp", "'timestamp' must be an ISO 8601 string or Unix seconds.") from exc
    if not now - MAX_PAST <= moment <= now + MAX_FUTURE:
        raise invalid("timestamp", "'timestamp' must be at most 72 hours old and 5 minutes ahead.")
    return moment


def _ip(value: Any, default: str) -> str:
    if value is None or value == "":
        return default
    try:
        return normalise_ip(str(ipaddress.ip_address(value)))
    except ValueError as exc:
        raise invalid("ip", "'ip' must be an IPv4 or IPv6 address.") from exc


def _domains(value: Any) -> list[str]:
    text = _text(value, "domain", required=True, limit=1000)
    domains = [normalise_domain(d) for d in text.split(",") if d.strip()]
    if not domains:
        raise invalid("domain", "'domain' is required.")
    return domains


def _build_hits(
    raw: Any,
    *,
    now: datetime,
    ip: str,
    user_agent: str,
    server_side: bool,
    allowed: Callable[[int], bool],
) -> list[Hit]:
    """Validate one event; return one hit per registered site it names."""
    if not isinstance(raw, dict):
        raise ApiError("invalid_field", "Each event must be a JSON object.")
    event = _canonical(raw)
    domains = _domains(event.get("domain"))
    name = _text(event.get("name"), "name", required=True, limit=MAX_NAME)
    url = _url(event.get("url"))
    referrer = _text(event.get("referrer"), "referrer", required=False, limit=MAX_REFERRER, truncate=True)
    props = _props(event.get("props"))
    engaged_ms = _number(event.get("engaged_ms"), "engaged_ms", MAX_ENGAGED_MS)
    scroll_depth = _number(event.get("scroll_depth"), "scroll_depth", 100)
    event_id = _event_id(event.get("id"))
    timestamp = now
    if server_side:
        timestamp = _timestamp(event.get("timestamp"), now)
        ip = _ip(event.get("ip"), ip)
        ua = event.get("user_agent")
        if ua is not None:
            user_agent = _text(ua, "user_agent", required=False, limit=MAX_USER_AGENT, truncate=True)
    sites = site_ids_by_domain(domains)
    site_ids = [sites[d] for d in dict.fromkeys(domains) if d in sites and allowed(sites[d])]
    if not site_ids:
        raise ApiError("unknown_site", "No site is registered for this domain.", field="domain")
    base = uuid.UUID(event_id) if event_id else new_event_uuid()
    hits = []
    for position, site_id in enumerate(site_ids):
        # A retry carries the same id; an event sent to several sites gets one uuid per site.
        event_uuid = base if position == 0 else uuid.uuid5(base, str(site_id))
        hits.append(
            Hit(
                uuid=str(event_uuid),
                site_id=site_id,
                name=name,
                timestamp=timestamp,
                raw_url=url,
                raw_referrer=referrer,
                props=props,
                engaged_ms=engaged_ms,
                scroll_depth=scroll_depth,
                user_agent=user_agent.replace("\x00", "")[:MAX_USER_AGENT],
                hash_mode=bool(event.get("hash_mode")),
                ip=ip,
            )
        )
    return hits


def _validate_all(events: list[Any], build: Callable[[Any], list[Hit]]) -> Batch:
    batch = Batch()
    for index, raw in enumerate(events):
        try:
            batch.hits.extend(build(raw))
        except ApiError as error:
            batch.rejected.append(Rejection(index, error.code, error.message, error.field))
        else:
            batch.accepted += 1
    return batch


def browser_batch(payload: Any, *, ip: str, user_agent: str, now: datetime) -> Batch:
    """Validate a browser request: one event object or an array of up to 20."""
    events = payload if isinstance(payload, list) else [payload]
    if not events:
        raise ApiError("invalid_field", "The array holds no events.")
    if len(events) > MAX_BROWSER_EVENTS:
        raise ApiError("too_many_events", f"At most {MAX_BROWSER_EVENTS} events per request.")
    batch = _validate_all(
        events,
        lambda raw: _build_hits(raw, now=now, ip=ip, user_agent=user_agent, server_side=False, allowed=_any_site),
    )
    if not isinstance(payload, list) and batch.rejected:
        first = batch.rejected[0]
        raise ApiError(first.code, first.message, field=first.field)
    return batch


def server_batch(payload: Any, *, site_ids: set[int], ip: str, user_agent: str, now: datetime) -> Batch:
    """Validate a server-side request: {"events": [...]} with up to 1,000 events."""
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list) or not events:
        raise ApiError("invalid_field", 'The body must be {"events": [ ... ]}.', field="events")
    if len(events) > MAX_SERVER_EVENTS:
        raise ApiError("too_many_events", f"At most {MAX_SERVER_EVENTS} events per request.", field="events")
    return _validate_all(
        events,
        lambda raw: _build_hits(
            raw, now=now, ip=ip, user_agent=user_agent, server_side=True, allowed=site_ids.__contains__
        ),
    )


def _any_site(site_id: int) -> bool:
    return True


def accept(batch: Batch) -> None:
    """Pseudonymise the hits and make them durable; raises BufferUnavailable when impossible."""
    buffer.push([pipeline.pseudonymise(hit) for hit in batch.hits])
