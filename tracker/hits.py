"""The record one event becomes at ingest and carries through the buffer and the pipeline."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson


class DropReason(enum.StrEnum):
    """Why the pipeline discarded a hit; a closed set, counted per batch."""

    BOT = "bot"
    DUPLICATE = "duplicate"
    UNKNOWN_SITE = "unknown_site"


# Fields set at ingest. Only these travel through the buffer; the client address never does.
BUFFERED_FIELDS = (
    "uuid",
    "site_id",
    "name",
    "timestamp",
    "url",
    "referrer",
    "props",
    "engaged_ms",
    "scroll_depth",
    "user_agent",
    "hash_mode",
    "visitor_hash",
    "prev_visitor_hash",
    "country",
    "fixed",
)
# Dimensions a server-side client may fix itself instead of having the pipeline derive them,
# with their column lengths: the µAnalytics API receives paths rather than URLs, and platforms
# and referrer domains already derived by its own rules.
FIXABLE = {"path": 2000, "os": 64, "referrer_domain": 253}


@dataclass(slots=True)
class Hit:
    uuid: str
    site_id: int
    name: str
    timestamp: datetime
    url: str
    referrer: str = ""
    props: dict[str, Any] = field(default_factory=dict)
    engaged_ms: int | None = None
    scroll_depth: int | None = None
    user_agent: str = ""
    hash_mode: bool = False
    # Derived from the client address at the edge, after which the address is dropped.
    ip: str | None = None
    visitor_hash: int = 0
    prev_visitor_hash: int | None = None
    country: str = ""
    # FIXABLE dimensions set by the sender; they replace what the pipeline derives.
    fixed: dict[str, str] = field(default_factory=dict)
    # Filled in by the pipeline.
    hostname: str = ""
    path: str = ""
    clean_url: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_term: str = ""
    utm_content: str = ""
    referrer_domain: str = ""
    source: str = ""
    browser: str = ""
    browser_version: str = ""
    os: str = ""
    os_version: str = ""
    device_type: str = ""
    session_id: int | None = None
    drop: DropReason | None = None

    def to_buffer(self) -> bytes:
        """Serialise the ingest fields for the buffer; refuses a hit that still holds an address."""
        if self.ip is not None:
            raise ValueError("a hit must be pseudonymised before it is buffered")
        data = {name: getattr(self, name) for name in BUFFERED_FIELDS}
        data["timestamp"] = self.timestamp.timestamp()
        return orjson.dumps(data)

    @classmethod
    def from_buffer(cls, raw: bytes | str) -> Hit:
        data = orjson.loads(raw)
        data["timestamp"] = datetime.fromtimestamp(data["timestamp"], tz=UTC)
        return cls(**data)
