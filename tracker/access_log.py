"""Import a web server's access log (the combined format of nginx and Apache, plain or gzipped) as page views.

Each kept line becomes a Hit as the ingest builds one, at the line's own time, and goes through the
real pipeline: the edge steps derive the visitor hash and the country from the address and then
forget it (tracker.pipeline.pseudonymise), the batch steps drop bots and the site's exclusions,
and process_batch assigns visits and stores the events in batches. The address is never kept,
logged or put into the event's uuid.

Kept: GET requests answered 200 or 304 (a reload the browser revalidated is a page view too, as
the snippet counts it), for paths that are not static assets nor Footfall's own endpoints.

Visitor hashes of past days: the day's salt is gone (it lives two days), so the pipeline hashes a
back-dated hit with a salt derived from today's salt and the hit's day (hashing.salts_for_day):
one id per visitor and day, as for live events, that nobody can link to another day or recompute
once today's salt is deleted. Lines of today and yesterday use the live salts.

Idempotent: an event's uuid is derived from the site, the line and how many identical lines came
before it in the same second, under a key derived from SECRET_KEY (a plain uuid5 of a line could be
reversed by trying every IPv4 address), so importing a file again, or a rotated file that holds
lines imported before, stores nothing twice.
"""

from __future__ import annotations

import enum
import gzip
import hashlib
import io
import re
import uuid
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import timezone as django_timezone

from sites.models import Site
from tracker import pipeline
from tracker.ingest.hits import Hit
from tracker.ingest.validation import MAX_FUTURE, MAX_REFERRER, MAX_URL, MAX_USER_AGENT, canonical_ip

GZIP_MAGIC = b"\x1f\x8b"
BATCH_SIZE = 1000
MAX_LINE = 16 * 1024
SAMPLES = 5
KEPT_STATUSES = frozenset({200, 304})
# Files a page loads rather than pages a reader opens: styles, scripts, images, fonts, media,
# source maps and the files robots and feed readers ask for.
ASSET_EXTENSIONS = frozenset(
    {
        *("css", "js", "mjs", "cjs", "map", "json", "xml", "txt", "webmanifest"),
        *("png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "bmp", "tif", "tiff", "apng"),
        *("woff", "woff2", "ttf", "otf", "eot"),
        *("mp3", "mp4", "m4a", "webm", "ogg", "ogv", "oga", "wav", "flac", "mov", "avi"),
        *("pdf", "zip", "gz", "tgz", "rar", "7z", "wasm"),
    }
)
# Footfall's own endpoints, when it is served under the same host as the site.
TRACKER_PATHS = ("/api/event", "/js/script", "/js/plausible")
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "footfall:import:access-log")
# %h %l %u [%t] "%r" %>s %b "%{Referer}i" "%{User-agent}i", then anything (a combined log with extras).
# A quoted field ends at the first quote that is not escaped (Apache writes \", nginx \x22).
LINE = re.compile(
    rb'(?P<address>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" '
    rb'(?P<status>[0-9]{3}) (?:[0-9]+|-) "(?P<referrer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)"'
)
# %t. strptime's %b reads English month names in the C locale, which Django never changes.
TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
_ESCAPE = re.compile(rb"\\(x[0-9A-Fa-f]{2}|.)")


class SkipReason(enum.StrEnum):
    """Why a line was not imported; pipeline drops (bot, duplicate, excluded_*) keep the pipeline's names."""

    MALFORMED = "malformed"  # not a combined log line
    BAD_TIME = "bad_time"
    FUTURE = "future"
    BAD_ADDRESS = "bad_address"  # %h is no IP address (Apache's HostnameLookups)
    BAD_REQUEST = "bad_request"  # "%r" is no "METHOD /target PROTOCOL"
    METHOD = "method"
    STATUS = "status"
    ASSET = "asset"
    TRACKER_PATH = "tracker_path"
    UNREADABLE = "unreadable"  # a corrupt or truncated gzip stream: the rest of the file


@dataclass
class AccessLogSummary:
    """What one import read, imported and skipped, with up to SAMPLES line numbers per reason."""

    lines: int = 0
    imported: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    samples: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    error: str = ""

    def skip(self, reason: str, line_number: int) -> None:
        self.skipped[reason] += 1
        if len(self.samples[reason]) < SAMPLES:
            self.samples[reason].append(line_number)

    def add(self, other: AccessLogSummary) -> None:
        """Add another file's counts (samples stay per file, so they are not merged)."""
        self.lines += other.lines
        self.imported += other.imported
        self.skipped.update(other.skipped)


@dataclass(frozen=True)
class Request:
    """The parts of a log line an event is made of; `address` is forgotten by the pipeline's edge steps."""

    address: str
    timestamp: datetime
    target: str
    referrer: str
    user_agent: str


# --- reading ------------------------------------------------------------------------------------


def open_log(raw: IO[bytes]) -> Any:
    """Return a binary stream of the log's text, gunzipped when it starts with gzip's magic bytes."""
    stream: Any = raw
    if hasattr(stream, "peek"):
        magic = stream.peek(2)[:2]
    elif stream.seekable():
        magic = stream.read(2)
        stream.seek(0)
    else:  # a pipe: buffered, so the magic bytes can be looked at without being consumed
        stream = io.BufferedReader(stream)
        magic = stream.peek(2)[:2]
    return gzip.GzipFile(fileobj=stream, mode="rb") if magic == GZIP_MAGIC else stream


def read_lines(stream: Any) -> Iterator[bytes | None]:
    """Yield the stream's lines without their line ends; None for a line longer than MAX_LINE (skipped whole)."""
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                pass
            yield None
            continue
        yield line.rstrip(b"\r\n")


# --- parsing -------------------------------------------------------------------------------------


def _unescape(value: bytes) -> str:
    """Undo the log's escapes: nginx writes \\xHH for quotes and bytes it will not print, Apache \\" and \\\\."""

    def one(match: re.Match[bytes]) -> bytes:
        escaped = match.group(1)
        return bytes([int(escaped[1:], 16)]) if len(escaped) == 3 and escaped[:1] == b"x" else escaped

    return _ESCAPE.sub(one, value).decode("utf-8", errors="replace")


@lru_cache(maxsize=1024)
def parse_time(text: str) -> datetime | None:
    """Parse %t, e.g. 10/Oct/2026:13:55:36 -0700, into UTC; None if it is not one (a busy second's lines share it)."""
    try:
        return datetime.strptime(text, TIME_FORMAT).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _path_of(target: str) -> str | None:
    """Return the request target as a path with its query; a proxy's absolute URL gives its path."""
    if target.startswith("/"):
        return target
    if target.startswith(("http://", "https://")):
        rest = target.split("://", 1)[1]
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else "/"
    return None


def _is_asset(path: str) -> bool:
    name = path.split("?", 1)[0].split("#", 1)[0].rsplit("/", 1)[-1]
    _, dot, extension = name.rpartition(".")
    return bool(dot) and extension.lower() in ASSET_EXTENSIONS


def parse_line(line: bytes, now: datetime) -> Request | SkipReason:
    """Return the request a combined log line records, or why it is not imported.

    The cheap checks come first, so the many lines of assets and bots' probes cost little.
    """
    match = LINE.match(line)
    if match is None:
        return SkipReason.MALFORMED
    parts = _unescape(match.group("request")).split(" ")
    path = _path_of(parts[1]) if len(parts) == 3 else None
    if path is None:
        return SkipReason.BAD_REQUEST
    if path.startswith(TRACKER_PATHS):
        return SkipReason.TRACKER_PATH
    if parts[0] != "GET":
        return SkipReason.METHOD
    if int(match.group("status")) not in KEPT_STATUSES:
        return SkipReason.STATUS
    if _is_asset(path):
        return SkipReason.ASSET
    moment = parse_time(match.group("time").decode("ascii", errors="replace"))
    if moment is None:
        return SkipReason.BAD_TIME
    if moment > now + MAX_FUTURE:
        return SkipReason.FUTURE
    address = _address(match.group("address"))
    if address is None:
        return SkipReason.BAD_ADDRESS
    referrer, agent = _unescape(match.group("referrer")), _unescape(match.group("agent"))
    return Request(
        address=address,
        timestamp=moment,
        target=path,
        referrer="" if referrer == "-" else referrer[:MAX_REFERRER],
        user_agent="" if agent == "-" else agent.replace("\x00", "")[:MAX_USER_AGENT],
    )


@lru_cache(maxsize=4096)
def _address(text: bytes) -> str | None:
    """Return the canonical address, or None for text that is none (a reader's lines repeat it: cached
    for the length of one import)."""
    try:
        return canonical_ip(text.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return None


# --- events ---------------------------------------------------------------------------------------


def _uuid_key() -> bytes:
    return hashlib.blake2b(settings.SECRET_KEY.encode(), person=b"ff-access-log", digest_size=32).digest()


def event_uuid(key: bytes, site_id: int, line: bytes, occurrence: int) -> str:
    """Return the uuid of the `occurrence`-th identical line of a second: keyed, so the address in it stays hidden."""
    digest = hashlib.blake2b(b"%d|%d|" % (site_id, occurrence) + line, key=key, digest_size=16).hexdigest()
    return str(uuid.uuid5(NAMESPACE, digest))


def hit_for(site: Site, request: Request, event_uuid: str) -> Hit:
    """Return the page view of a request as the ingest builds one, still holding the address."""
    return Hit(
        uuid=event_uuid,
        site_id=site.id,
        name="pageview",
        timestamp=request.timestamp,
        raw_url=f"https://{site.domain}{request.target}"[:MAX_URL],
        raw_referrer=request.referrer,
        user_agent=request.user_agent,
        ip=request.address,
    )


@dataclass
class _Pending:
    hits: list[Hit] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def _store(pending: _Pending, summary: AccessLogSummary) -> None:
    """Store a batch through the pipeline and count what it dropped, by the pipeline's reasons."""
    if not pending.hits:
        return
    result = pipeline.process_batch([pipeline.pseudonymise(hit) for hit in pending.hits])
    summary.imported += result.stored
    for hit, line_number in zip(pending.hits, pending.lines, strict=True):
        if hit.drop is not None:
            summary.skip(str(hit.drop), line_number)
        elif hit.session_id is None:  # passed the steps but not stored: its uuid was stored before
            summary.skip("duplicate", line_number)
    pending.hits, pending.lines = [], []


def import_access_log(
    site: Site,
    path_or_file: str | Path | IO[bytes],
    *,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> AccessLogSummary:
    """Import one access log (a path, or a binary file such as an upload) into the site.

    `progress` gets the number of lines read since its last call. A malformed line is counted and
    skipped; a gzip stream that is corrupt or cut short ends the file there (the lines read before
    it are imported) and is counted as `unreadable`.
    """
    if isinstance(path_or_file, str | Path):
        with open(path_or_file, "rb") as raw:
            return _import(site, raw, progress or _ignore, batch_size)
    return _import(site, path_or_file, progress or _ignore, batch_size)


def _ignore(lines: int) -> None:
    pass


def _import(site: Site, raw: IO[bytes], progress: Callable[[int], None], batch_size: int) -> AccessLogSummary:
    summary = AccessLogSummary()
    now = django_timezone.now()
    key = _uuid_key()
    pending = _Pending()
    # Identical lines of one second (a double click) are events of their own: count them per second.
    second, seen = now, Counter[bytes]()
    reported = 0
    try:
        for line in read_lines(open_log(raw)):
            summary.lines += 1
            parsed = SkipReason.MALFORMED if line is None else parse_line(line, now)
            if isinstance(parsed, SkipReason):
                summary.skip(parsed, summary.lines)
                continue
            assert line is not None
            if parsed.timestamp != second:
                second, seen = parsed.timestamp, Counter()
            seen[line] += 1
            pending.hits.append(hit_for(site, parsed, event_uuid(key, site.id, line, seen[line])))
            pending.lines.append(summary.lines)
            if len(pending.hits) >= batch_size:
                _store(pending, summary)
                progress(summary.lines - reported)
                reported = summary.lines
    except (OSError, EOFError, zlib.error) as exc:
        summary.skip(SkipReason.UNREADABLE, summary.lines + 1)
        summary.error = f"unreadable after line {summary.lines}: {exc}"
    finally:
        _address.cache_clear()  # the addresses are forgotten once the import is done, in memory too
    _store(pending, summary)
    progress(summary.lines - reported)
    return summary
