"""The record one event becomes at ingest and carries through the buffer and the pipeline.

What a client sent is kept under `raw_*` names (`raw_url`, `raw_referrer`); every field the
pipeline fills in is named as the Event column it is stored in, so a row is built by name
(tracker/pipeline/storage.py) and a reordered model cannot shift values between columns.
"""

from __future__ import annotations

import enum
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson


def new_event_uuid() -> uuid.UUID:
    """A time-ordered uuid (version 7, RFC 9562) for an event its client gave no id.

    Its first 48 bits are the Unix time in milliseconds and the rest is random, so new events' uuids
    sort after older ones: the unique uuid index grows at its right edge instead of taking inserts on
    random pages of a table of millions (each a page read, and its first write after a checkpoint a
    full page in the WAL). The same layout as Python 3.14's uuid.uuid7().
    """
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10))
    value = value & ~(0xF000 << 64) | 0x7000 << 64  # version 7
    value = value & ~(0xC << 60) | 0x8 << 60  # RFC 9562 variant
    return uuid.UUID(int=value)


class DropReason(enum.StrEnum):
    """Why the pipeline discarded a hit; a closed set, counted per batch."""

    BOT = "bot"
    DUPLICATE = "duplicate"
    UNKNOWN_SITE = "unknown_site"
    # The site's own exclusions (sites/exclusions.py).
    EXCLUDED_ADDRESS = "excluded_address"
    EXCLUDED_PATH = "excluded_path"
    EXCLUDED_HOSTNAME = "excluded_hostname"


# Fields set at ingest. Only these travel through the buffer; the client address never does.
BUFFERED_FIELDS = (
    "uuid",
    "site_id",
    "name",
    "timestamp",
    "raw_url",
    "raw_referrer",
    "props",
    "engaged_ms",
    "scroll_depth",
    "user_agent",
    "hash_mode",
    "visitor_hash",
    "prev_visitor_hash",
    "partition",
    "country",
    "fixed",
)
# Dimensions a server-side client may fix itself instead of having the pipeline derive them,
# with their column lengths: the µAnalytics API receives paths rather than URLs, and platforms
# and referrer domains already derived by its own rules.
FIXABLE = {"path": 2000, "os": 64, "referrer": 253}
# Payloads buffered before the fields took their column names (a stream or spool that outlived an
# upgrade): their name -> today's.
_EARLIER_NAMES = {"url": "raw_url", "referrer": "raw_referrer"}
_EARLIER_FIXED = {"referrer_domain": "referrer"}


@dataclass(slots=True, kw_only=True)
class VisitDimensions:
    """What a visit takes from its first event, under the Event's and Session's column names
    (stats.dimensions.VISIT_COLUMNS): a Hit carries them, the session it opens keeps them."""

    hostname: str = ""
    referrer_source: str = ""
    referrer: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_term: str = ""
    utm_content: str = ""
    country: str = ""
    browser: str = ""
    os: str = ""
    device_type: str = ""


@dataclass(slots=True)
class Hit(VisitDimensions):
    uuid: str
    site_id: int
    name: str
    timestamp: datetime
    raw_url: str
    raw_referrer: str = ""
    props: dict[str, Any] = field(default_factory=dict)
    engaged_ms: int | None = None
    scroll_depth: int | None = None
    user_agent: str = ""
    hash_mode: bool = False
    # Derived from the client address at the edge, after which the address is dropped; the
    # country (a visit dimension) is set there too.
    ip: str | None = None
    visitor_hash: int = 0
    prev_visitor_hash: int | None = None
    # The stream partition of the visitor (tracker.pipeline.enrich.hashing.partition_of); None for hits
    # that did not come through the edge (restored from the archive, buffered before partitions).
    partition: int | None = None
    # FIXABLE dimensions set by the sender; they replace what the pipeline derives.
    fixed: dict[str, str] = field(default_factory=dict)
    # Filled in by the pipeline, named as the Event columns (the visit's, above, too).
    path: str = ""
    url: str = ""
    browser_version: str = ""
    os_version: str = ""
    session_id: int | None = None
    drop: DropReason | None = None

    def to_buffer(self) -> bytes:
        """Serialise the ingest fields for the buffer; refuses a hit that still holds an address."""
        if self.ip is not None:
            raise ValueError("a hit must be pseudonymised before it is buffered")
        data = {name: getattr(self, name) for name in BUFFERED_FIELDS}
        data["timestamp"] = self.timestamp.timestamp()
        if self.drop is not None:  # dropped at the edge: travels on to be counted, not stored
            data["drop"] = self.drop.value
        return orjson.dumps(data)

    @classmethod
    def from_buffer(cls, raw: bytes | str) -> Hit:
        data = orjson.loads(raw)
        if "raw_url" not in data:
            _rename_earlier(data)
        data["timestamp"] = datetime.fromtimestamp(data["timestamp"], tz=UTC)
        if "drop" in data:
            data["drop"] = DropReason(data["drop"])
        return cls(**data)


def _rename_earlier(data: dict[str, Any]) -> None:
    """Give a payload buffered before the fields took their column names today's names."""
    for earlier, name in _EARLIER_NAMES.items():
        if earlier in data:
            data[name] = data.pop(earlier)
    data["fixed"] = {_EARLIER_FIXED.get(k, k): v for k, v in (data.get("fixed") or {}).items()}
