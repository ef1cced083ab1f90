"""Raw event export: one row per stored event, every enriched field, as CSV, NDJSON or Parquet, streamed.

Rows are read through a server-side cursor on PostgreSQL (Django's `iterator()`), formatted a
chunk at a time and handed on as text, so memory stays flat at any number of rows. The same
row format (NDJSON, or Parquet: tracker/lifecycle/parquet.py) is what the archive writes, so an
archive file and an export line up.

Events hold no client address, so neither does an export.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

from sites.models import Site
from tracker.models import Event

FORMATS = ("csv", "ndjson", "parquet")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8; header=present",
    "ndjson": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}
# Exported columns, in order; NDJSON objects carry the same keys in the same order, Parquet files the same
# columns (with the types of parquet.SCHEMA).
COLUMNS = (
    "uuid",
    "site",
    "timestamp",
    "name",
    "session_id",
    "visitor_hash",
    "hostname",
    "path",
    "url",
    "referrer",
    "referrer_source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "props",
    "engaged_ms",
    "scroll_depth",
    "country",
    "browser",
    "browser_version",
    "os",
    "os_version",
    "device_type",
)
# Read from the database: COLUMNS less the derived ones, plus what they are derived from.
_READ = (
    "uuid",
    "timestamp",
    "name",
    "visitor_hash",
    *COLUMNS[COLUMNS.index("hostname") :],
    "session__started",
)
_CHUNK_ROWS = 2000
# A spreadsheet runs a cell starting with these as a formula; visitors choose paths and UTM values.
_FORMULA_START = frozenset("=+-@\t\r")
_TEXT_COLUMNS = frozenset(COLUMNS) - {"visitor_hash", "engaged_ms", "scroll_depth", "props", "timestamp"}


class ExportRangeError(ValueError):
    """A date or range the export cannot take."""


@dataclass(frozen=True)
class ExportRange:
    """Half-open UTC bounds of the exported events; None: unbounded. `days` names the local days asked for."""

    since: datetime | None = None
    until: datetime | None = None
    days: tuple[date, date] | None = None


def parse_date_param(value: str | None, zone: str) -> ExportRange:
    """Parse `YYYY-MM-DD` or `YYYY-MM-DD,YYYY-MM-DD` (local days of the site, inclusive)."""
    if not value:
        return ExportRange()
    parts = value.split(",")
    if len(parts) > 2:
        raise ExportRangeError("Give one day or two, as YYYY-MM-DD or YYYY-MM-DD,YYYY-MM-DD.")
    try:
        days = [date.fromisoformat(part.strip()) for part in parts]
    except ValueError as exc:
        raise ExportRangeError("Give days as YYYY-MM-DD.") from exc
    first, last = days[0], days[-1]
    if last < first:
        raise ExportRangeError("The first day is after the last.")
    if last >= date.max - timedelta(days=1):
        raise ExportRangeError("The last day is too far in the future.")
    local = ZoneInfo(zone)
    return ExportRange(
        since=datetime.combine(first, datetime.min.time(), local).astimezone(UTC),
        until=datetime.combine(last + timedelta(days=1), datetime.min.time(), local).astimezone(UTC),
        days=(first, last),
    )


def events_for_export(site: Site, bounds: ExportRange = ExportRange()) -> QuerySet[Event]:
    """Return the site's events in export order: by time, then uuid (stable across a restore)."""
    events = Event.objects.filter(site_id=site.id)
    if bounds.since is not None:
        events = events.filter(timestamp__gte=bounds.since)
    if bounds.until is not None:
        events = events.filter(timestamp__lt=bounds.until)
    return events.order_by("timestamp", "uuid")


def session_key(domain: str, visitor_hash: int, started: datetime | None) -> str:
    """Return a visit's id: derived from what defines the visit, so it survives an archive restore.

    Database ids do not: a restored visit is a new row.
    """
    if started is None:
        return ""
    text = f"{domain}|{visitor_hash}|{started.astimezone(UTC).isoformat()}".encode()
    return hashlib.blake2b(text, digest_size=8).hexdigest()


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds, e.g. 2026-11-20T12:00:00.000000Z (sorts as text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rows_with_ids(site: Site, events: QuerySet[Event]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Yield (database id, row in COLUMNS order), read in chunks (a server-side cursor on PostgreSQL)."""
    domain = site.domain
    for row in events.values_list("id", *_READ).iterator(chunk_size=_CHUNK_ROWS):
        event_id, event_uuid, moment, name, visitor, *rest, started = row
        yield (
            event_id,
            (
                str(event_uuid),
                domain,
                format_timestamp(moment),
                name,
                session_key(domain, visitor, started),
                visitor,
                *rest,
            ),
        )


def rows(site: Site, events: QuerySet[Event]) -> Iterator[tuple[Any, ...]]:
    """Yield the events as tuples in COLUMNS order."""
    for _, row in rows_with_ids(site, events):
        yield row


def ndjson_line(row: tuple[Any, ...]) -> bytes:
    """Return one event as a JSON object with COLUMNS as keys, in order, and a newline."""
    return orjson.dumps(dict(zip(COLUMNS, row, strict=True)), option=orjson.OPT_APPEND_NEWLINE)


_PROPS = COLUMNS.index("props")
_TEXT_INDEXES = tuple(i for i, column in enumerate(COLUMNS) if column in _TEXT_COLUMNS)


def _csv_row(row: tuple[Any, ...]) -> list[Any]:
    """Return the row's CSV cells: props as JSON, formula-like text defused; None stays (written empty)."""
    cells = list(row)
    cells[_PROPS] = orjson.dumps(cells[_PROPS]).decode()
    for i in _TEXT_INDEXES:
        value = cells[i]
        if value and value[0] in _FORMULA_START:
            # OWASP's advice against CSV injection: a leading quote makes the cell plain text.
            cells[i] = "'" + value
    return cells


def chunked(lines: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Yield lists of `size` items (the last may be shorter)."""
    chunk: list[Any] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def stream_ndjson(event_rows: Iterable[tuple[Any, ...]]) -> Iterator[bytes]:
    """Yield the rows as NDJSON, a few hundred lines per piece."""
    for chunk in chunked(event_rows, 500):
        yield b"".join(ndjson_line(row) for row in chunk)


def stream_csv(event_rows: Iterable[tuple[Any, ...]]) -> Iterator[bytes]:
    """Yield RFC 4180 CSV (CRLF line ends, quotes doubled), with a header row, a few hundred rows per piece."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for chunk in chunked(event_rows, 500):
        writer.writerows(map(_csv_row, chunk))
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def stream_format(fmt: str, event_rows: Iterable[tuple[Any, ...]]) -> Iterator[bytes]:
    """Yield rows in one of FORMATS, a piece at a time."""
    if fmt == "parquet":
        from tracker.lifecycle import parquet  # pyarrow loads only where Parquet is written

        return parquet.stream(event_rows)
    return stream_csv(event_rows) if fmt == "csv" else stream_ndjson(event_rows)


def stream(site: Site, fmt: str, bounds: ExportRange = ExportRange()) -> Iterator[bytes]:
    """Yield the site's events in the given format, a piece at a time."""
    return stream_format(fmt, rows(site, events_for_export(site, bounds)))


def filename(site: Site, fmt: str, bounds: ExportRange = ExportRange()) -> str:
    """Return the download's file name, e.g. footfall-blog.example-2026-11-01_2026-11-30.csv.

    Built from the parsed days, never from the text a client sent.
    """
    span = ""
    if bounds.days is not None:
        first, last = bounds.days
        span = f"-{first.isoformat()}" if first == last else f"-{first.isoformat()}_{last.isoformat()}"
    return f"footfall-{site.domain}{span}.{fmt}"


def download(site: Site, fmt: str, bounds: ExportRange = ExportRange()) -> StreamingHttpResponse:
    """Return the streamed download of the site's events, for the API and the members' page alike."""
    response = StreamingHttpResponse(stream(site, fmt, bounds), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = str(content_disposition_header(True, filename(site, fmt, bounds)))
    response["Cache-Control"] = "no-store"
    return response
