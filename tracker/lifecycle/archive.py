"""The event archive: stored events as .json.gz or Parquet files, compacted per hour, restorable into the database.

Layouts in the archive storage (Django's storage API: a directory by default, or S3), chosen by
ARCHIVE_FORMAT for the files written from then on:

    json (default)
    <domain>/YYYY/MM/DD/HH/<first id>-<last id>.json.gz   batches, as the archiver writes them
    <domain>/YYYY/MM/DD/HH.json.gz                          an hour, compacted from its batches

    parquet (Hive-style partitions, which DuckDB, Spark, Athena and BigQuery read as columns)
    site=<domain>/date=YYYY-MM-DD/HH-<first id>-<last id>.parquet   batches
    site=<domain>/date=YYYY-MM-DD/HH.parquet                          an hour, compacted

A .json.gz line is one event in the export's NDJSON form (tracker/lifecycle/export.py), a Parquet
file has the export's columns and types (tracker/lifecycle/parquet.py); HH and the date are the UTC
hour and day of the events' timestamps. The `ArchiveFile` table is the manifest of the files.
Compaction and restore read both layouts, so the format can be changed at any time: an hour's
batches of either format are compacted into a file of the format in force.

Writing. Only committed events are archived, in id order per site, behind a cursor
(`ArchiveCursor.last_event_id`) that moves in the transaction after the file is written. Ids can
commit out of order on PostgreSQL, so the archiver reads a high-water mark under the site's
lock (every batch storing the site's events shares it until commit): no id of the site's
below it can still appear.
A crash after a file is written but before the cursor moves leaves events in two files;
compaction and restore drop repeated uuids, so nothing is lost and nothing counts twice.

Compaction merges an hour's batches (and its earlier hour file, for late batches) into the
hour file: write it whole under a temporary name and rename it over the old one (an S3 PUT
replaces atomically), then update the manifest, then delete the batches. A crash at any point
leaves either the old state or data held twice, which the next run merges by uuid.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import logging
import os
import uuid
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import orjson
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from sites.models import Site
from tracker import pipeline
from tracker.ingest.hits import Hit
from tracker.lifecycle import export
from tracker.models import ArchiveCursor, ArchiveFile, Event
from tracker.pipeline import locks
from tracker.pipeline.storage import EVENT_FIELDS

logger = logging.getLogger(__name__)

SUFFIX = ".json.gz"
PARQUET_SUFFIX = ".parquet"
HOUR = timedelta(hours=1)
COMPACT_LOCK = 0x41726368  # "Arch": one compaction of a site at a time (PostgreSQL)
RESTORE_CHUNK = 5000
# A cursor set this high archives nothing more: the site is being deleted.
CURSOR_STOPPED = 2**63 - 1


def archive_storage() -> Storage:
    return storages["archive"]


def checkpoint(step: str) -> None:
    """Mark a step boundary of compaction; a no-op that tests replace to crash between steps."""


# --- names -------------------------------------------------------------------------------------


def site_folder(domain: str) -> str:
    """Return the site's top folder: the domain, quoted so it can never name a path outside it."""
    folder = quote(domain, safe=".-_")
    return folder.replace(".", "%2E", 1) if folder.startswith(".") else folder


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hour_name(domain: str, hour: datetime) -> str:
    return f"{site_folder(domain)}/{hour:%Y/%m/%d/%H}{SUFFIX}"


def batch_folder(domain: str, hour: datetime) -> str:
    return f"{site_folder(domain)}/{hour:%Y/%m/%d/%H}"


def batch_name(domain: str, hour: datetime, first_id: int, last_id: int) -> str:
    return f"{batch_folder(domain, hour)}/{first_id:012d}-{last_id:012d}{SUFFIX}"


def partition_folder(domain: str, day: date) -> str:
    """Return the Parquet layout's folder of a site's UTC day: site=<domain>/date=YYYY-MM-DD."""
    return f"site={site_folder(domain)}/date={day.isoformat()}"


@dataclass(frozen=True)
class Layout:
    """Where one archive format keeps an hour's files, and how it writes them (read_file reads both)."""

    hour_name: Callable[[str, datetime], str]
    batch_name: Callable[[str, datetime, int, int], str]
    batches: Callable[[Storage, str, datetime], list[str]]
    encode: Callable[[list[dict[str, Any]]], bytes]


def _json_batches(storage: Storage, domain: str, hour: datetime) -> list[str]:
    return _files(storage, batch_folder(domain, hour))


def _encode_json(rows: list[dict[str, Any]]) -> bytes:
    return encode(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE) for row in rows)


def _parquet_hour_name(domain: str, hour: datetime) -> str:
    return f"{partition_folder(domain, hour.date())}/{hour:%H}{PARQUET_SUFFIX}"


def _parquet_batch_name(domain: str, hour: datetime, first_id: int, last_id: int) -> str:
    return f"{partition_folder(domain, hour.date())}/{hour:%H}-{first_id:012d}-{last_id:012d}{PARQUET_SUFFIX}"


def _parquet_batches(storage: Storage, domain: str, hour: datetime) -> list[str]:
    folder = partition_folder(domain, hour.date())
    return [
        name for name in _files(storage, folder, PARQUET_SUFFIX) if name.rpartition("/")[2].startswith(f"{hour:%H}-")
    ]


def _encode_parquet(rows: list[dict[str, Any]]) -> bytes:
    from tracker.lifecycle import parquet  # pyarrow loads only where Parquet is written

    buffer = io.BytesIO()
    parquet.write((tuple(row.get(column) for column in export.COLUMNS) for row in rows), buffer)
    return buffer.getvalue()


LAYOUTS = {
    "json": Layout(hour_name, batch_name, _json_batches, _encode_json),
    "parquet": Layout(_parquet_hour_name, _parquet_batch_name, _parquet_batches, _encode_parquet),
}


def current_layout() -> Layout:
    """Return the layout ARCHIVE_FORMAT names, for the files written now."""
    return LAYOUTS[settings.ARCHIVE_FORMAT]


# --- file io ----------------------------------------------------------------------------------


def encode(lines: Iterable[bytes]) -> bytes:
    """Gzip the lines; mtime 0 makes equal content give equal bytes, so a rewrite changes nothing."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=6, mtime=0) as gz:
        for line in lines:
            gz.write(line)
    return buffer.getvalue()


def write_atomically(storage: Storage, name: str, data: bytes) -> None:
    """Put the whole file under `name`, replacing any old one; readers see the old or the new, never a part."""
    try:
        path = storage.path(name)
    except NotImplementedError:
        # Object stores (S3) publish an object only once it is complete, and overwrite in place.
        saved = storage.save(name, ContentFile(data))
        if saved != name:
            storage.delete(saved)
            raise RuntimeError("the archive storage must overwrite files (S3Storage: file_overwrite=True)") from None
        return
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    temporary = f"{path}.tmp-{uuid.uuid4().hex}"
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        mode = getattr(storage, "file_permissions_mode", None)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    # The rename itself is durable only once the folder is synced.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass
class ReadResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    damaged: bool = False


def read_file(storage: Storage, name: str) -> ReadResult:
    """Read a file's events, as the NDJSON form has them, whichever format its name says."""
    return _read_parquet(storage, name) if name.endswith(PARQUET_SUFFIX) else _read_json(storage, name)


def _read_parquet(storage: Storage, name: str) -> ReadResult:
    """Read a Parquet file; one without its footer (cut short) or otherwise corrupt yields nothing, flagged damaged."""
    from tracker.lifecycle import parquet

    try:
        with storage.open(name, "rb") as handle:
            return ReadResult(rows=parquet.read_rows(io.BytesIO(handle.read())))
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        logger.warning("archive file %s is damaged and cannot be read: %s", name, exc)
        return ReadResult(damaged=True)


def _read_json(storage: Storage, name: str) -> ReadResult:
    """Read a .json.gz file; a truncated or corrupt file yields its complete lines and is flagged damaged.

    Decompressed by hand, chunk by chunk, because GzipFile discards what it decoded of a stream
    that ends early.
    """
    result = ReadResult()
    decoder = zlib.decompressobj(wbits=31)  # gzip framing
    pending = b""

    def take(data: bytes) -> None:
        nonlocal pending
        *complete, pending = (pending + data).split(b"\n")
        for line in complete:
            try:
                result.rows.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                result.damaged = True

    open_member = False  # inside a gzip member that has not ended yet
    try:
        with storage.open(name, "rb") as raw:
            while chunk := raw.read(256 * 1024):
                while chunk:
                    open_member = True
                    take(decoder.decompress(chunk))
                    chunk = b""
                    if decoder.eof:
                        # Concatenated gzip members are one valid file: go on with the next.
                        chunk, decoder, open_member = decoder.unused_data, zlib.decompressobj(wbits=31), False
        if open_member:
            result.damaged = True  # the stream was cut off
    except (OSError, zlib.error):
        result.damaged = True
    if pending:
        result.damaged = True  # the last line of a file cut short
    if result.damaged:
        logger.warning("archive file %s is damaged; read %d complete events from it", name, len(result.rows))
    return result


def _files(storage: Storage, folder: str, suffix: str = SUFFIX) -> list[str]:
    try:
        _, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(f"{folder}/{name}" for name in files if name.endswith(suffix))


def _dirs(storage: Storage, folder: str) -> list[str]:
    try:
        dirs, _ = storage.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(dirs)


# --- writing batches --------------------------------------------------------------------------


@dataclass
class ArchiveResult:
    events: int = 0
    files: int = 0
    bytes: int = 0


def safe_high_water_mark(site: Site) -> int:
    """Return an event id such that every event of the site with an id up to it is committed (or never will be).

    Batches share the site's lock until they commit, so with it taken no insert of the site's is in
    flight; its later inserts draw ids after the largest one visible now.
    """
    with transaction.atomic():
        locks.lock_site(site.id)
        return Event.objects.aggregate(top=Max("id"))["top"] or 0


def archive_pending(
    *, now: datetime | None = None, force: bool = False, sites: Iterable[Site] | None = None
) -> ArchiveResult:
    """Write the sites' unarchived events to batch files: in batches of ARCHIVE_BATCH_EVENTS, and
    the rest once ARCHIVE_BATCH_SECONDS passed since the site's last batch (or at once with `force`)."""
    result = ArchiveResult()
    if not settings.ARCHIVE_ENABLED and not force:
        return result
    now = now or timezone.now()
    for site in Site.objects.all() if sites is None else sites:
        _archive_site(site, high=safe_high_water_mark(site), now=now, force=force, result=result)
    return result


def _archive_site(site: Site, *, high: int, now: datetime, force: bool, result: ArchiveResult) -> None:
    size = settings.ARCHIVE_BATCH_EVENTS
    ArchiveCursor.objects.get_or_create(site=site, defaults={"flushed": now})
    while True:
        with transaction.atomic():
            # Held until the cursor moves: one archiver per site, and site deletion waits for it.
            cursor = ArchiveCursor.objects.select_for_update().filter(site=site).first()
            if cursor is None or cursor.last_event_id >= high:
                return
            pending = Event.objects.filter(site_id=site.id, id__gt=cursor.last_event_id, id__lte=high).order_by("id")
            batch = list(export.rows_with_ids(site, pending[:size]))
            if not batch:
                # None of this site's events lie below the mark, and none can appear there later.
                cursor.last_event_id = high
                cursor.save(update_fields=["last_event_id"])
                return
            full = len(batch) >= size
            due = force or full or (now - cursor.flushed).total_seconds() >= settings.ARCHIVE_BATCH_SECONDS
            if not due:
                return
            _write_batch(site, batch, result)
            cursor.last_event_id = batch[-1][0] if full else high
            cursor.flushed = now
            cursor.save(update_fields=["last_event_id", "flushed"])
        if not full:
            return


def _write_batch(site: Site, batch: list[tuple[int, tuple[Any, ...]]], result: ArchiveResult) -> None:
    """Write one file per UTC hour of the batch, then record them in the manifest."""
    by_hour: dict[str, list[tuple[int, tuple[Any, ...]]]] = defaultdict(list)
    timestamp = export.COLUMNS.index("timestamp")
    for event_id, row in batch:
        by_hour[row[timestamp][:13]].append((event_id, row))
    storage = archive_storage()
    layout = current_layout()
    entries = []
    for hour_text, events in by_hour.items():
        hour = datetime.strptime(hour_text, "%Y-%m-%dT%H").replace(tzinfo=UTC)
        first, last = events[0][0], events[-1][0]
        name = layout.batch_name(site.domain, hour, first, last)
        data = layout.encode([dict(zip(export.COLUMNS, row, strict=True)) for _, row in events])
        write_atomically(storage, name, data)
        entries.append(
            ArchiveFile(
                site=site,
                name=name,
                kind=ArchiveFile.Kind.BATCH,
                hour=hour,
                events=len(events),
                first_event_id=first,
                last_event_id=last,
                bytes=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
        result.events += len(events)
        result.files += 1
        result.bytes += len(data)
    # A rerun after a crash may write the same name again: the manifest row is replaced.
    ArchiveFile.objects.filter(name__in=[e.name for e in entries]).delete()
    ArchiveFile.objects.bulk_create(entries)


# --- compaction -------------------------------------------------------------------------------


@dataclass
class CompactResult:
    hours: int = 0
    batches: int = 0
    events: int = 0


@contextlib.contextmanager
def _compaction_lock(site: Site) -> Iterator[None]:
    """One compaction per site at a time, without holding a transaction open across file io."""
    if connection.vendor != "postgresql":
        yield  # the embedded mode has one process
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [COMPACT_LOCK, site.id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [COMPACT_LOCK, site.id])


def compact(*, now: datetime | None = None, sites: Iterable[Site] | None = None) -> CompactResult:
    """Merge the batches of every hour that ended ARCHIVE_COMPACT_AFTER_SECONDS ago into its hour file."""
    now = now or timezone.now()
    latest = now - timedelta(seconds=settings.ARCHIVE_COMPACT_AFTER_SECONDS) - HOUR
    batches = ArchiveFile.objects.filter(kind=ArchiveFile.Kind.BATCH, hour__lte=latest)
    if sites is not None:
        batches = batches.filter(site__in=list(sites))
    result = CompactResult()
    pairs = sorted(set(batches.values_list("site_id", "hour")))
    by_id = Site.objects.in_bulk({site_id for site_id, _ in pairs})
    for site_id, hour in pairs:
        if site_id not in by_id:
            continue  # deleted meanwhile, with its files
        merged = compact_hour(by_id[site_id], hour)
        result.hours += 1
        result.batches += merged[0]
        result.events += merged[1]
    return result


def compact_hour(site: Site, hour: datetime) -> tuple[int, int]:
    """Merge one hour's batch files (of both formats) into its hour file of the format in force, with the
    hour file of the other format if there is one; return (batches merged, events in the hour)."""
    storage = archive_storage()
    layout = current_layout()
    final = layout.hour_name(site.domain, hour)
    others = [other.hour_name(site.domain, hour) for other in LAYOUTS.values() if other is not layout]
    with _compaction_lock(site):
        # Rows first, then the listing: every file a captured row names is listed (or merged before).
        recorded = list(
            ArchiveFile.objects.filter(site=site, kind=ArchiveFile.Kind.BATCH, hour=hour).values_list(
                "id", "first_event_id", "last_event_id"
            )
        )
        names = [name for other in LAYOUTS.values() for name in other.batches(storage, site.domain, hour)]
        # The hour file of the format used before a switch merges in like a batch, and goes like one.
        names += [name for name in others if storage.exists(name)]
        _remove_temporaries(storage, final)
        events: dict[str, dict[str, Any]] = {}
        for name in ([final] if storage.exists(final) else []) + names:
            for row in read_file(storage, name).rows:
                events.setdefault(row["uuid"], row)
        ordered = sorted(events.values(), key=lambda row: (row["timestamp"], row["uuid"]))
        data = layout.encode(ordered)
        checkpoint("write")
        write_atomically(storage, final, data)
        checkpoint("manifest")
        with transaction.atomic():
            previous = list(ArchiveFile.objects.filter(name__in=[final, *others]))
            firsts = [first for _, first, _ in recorded] + [p.first_event_id for p in previous]
            lasts = [last for _, _, last in recorded] + [p.last_event_id for p in previous]
            ArchiveFile.objects.update_or_create(
                name=final,
                defaults={
                    "site": site,
                    "kind": ArchiveFile.Kind.HOUR,
                    "hour": hour,
                    "events": len(ordered),
                    "first_event_id": min(firsts, default=0),
                    "last_event_id": max(lasts, default=0),
                    "bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                },
            )
        checkpoint("delete")
        for name in names:
            storage.delete(name)
            checkpoint("deleted-one")
        ArchiveFile.objects.filter(id__in=[row_id for row_id, _, _ in recorded]).delete()
        ArchiveFile.objects.filter(name__in=others).delete()
    return len(names), len(ordered)


def _remove_temporaries(storage: Storage, final: str) -> None:
    """Delete what a compaction that crashed while writing left behind (local storage only)."""
    folder, _, base = final.rpartition("/")
    try:
        _, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        if name.startswith(f"{base}.tmp-"):
            storage.delete(f"{folder}/{name}")


# --- restore ----------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    files: int = 0
    damaged_files: int = 0
    events: int = 0
    stored: int = 0
    skipped_sites: list[str] = field(default_factory=list)


def hours_in_archive(
    domain: str, *, since: datetime | None = None, until: datetime | None = None
) -> dict[datetime, list[str]]:
    """Return {UTC hour: its files (hour file and batches, of both layouts)} for one site, from the storage listing.

    The listing, not the manifest, so that a wiped database can be restored.
    """
    storage = archive_storage()
    first_day = since.astimezone(UTC).date() if since else None
    last_day = until.astimezone(UTC).date() if until else None
    hours: dict[datetime, list[str]] = defaultdict(list)
    for when, folder in _json_days(storage, site_folder(domain)) + _parquet_days(storage, domain):
        if (first_day and when < first_day) or (last_day and when > last_day):
            continue
        for name in _files(storage, folder) + _files(storage, folder, PARQUET_SUFFIX):
            # HH.json.gz, HH.parquet, or a Parquet batch HH-<first id>-<last id>.parquet
            stem = name.rpartition("/")[2].removesuffix(SUFFIX).removesuffix(PARQUET_SUFFIX).partition("-")[0]
            if stem.isdigit():
                hours[datetime(when.year, when.month, when.day, int(stem), tzinfo=UTC)].append(name)
        for sub in _dirs(storage, folder):
            if sub.isdigit():
                moment = datetime(when.year, when.month, when.day, int(sub), tzinfo=UTC)
                hours[moment] += _files(storage, f"{folder}/{sub}")
    return dict(sorted(hours.items()))


def _json_days(storage: Storage, top: str) -> list[tuple[date, str]]:
    """Return (day, folder) of the json layout's days: <domain>/YYYY/MM/DD."""
    days = []
    for year in _dirs(storage, top):
        for month in _dirs(storage, f"{top}/{year}"):
            for day in _dirs(storage, f"{top}/{year}/{month}"):
                try:
                    days.append((date(int(year), int(month), int(day)), f"{top}/{year}/{month}/{day}"))
                except ValueError:
                    continue
    return days


def _parquet_days(storage: Storage, domain: str) -> list[tuple[date, str]]:
    """Return (day, folder) of the Parquet layout's partitions: site=<domain>/date=YYYY-MM-DD."""
    top = f"site={site_folder(domain)}"
    days = []
    for folder in _dirs(storage, top):
        try:
            days.append((date.fromisoformat(folder.removeprefix("date=")), f"{top}/{folder}"))
        except ValueError:
            continue
    return days


# An archived line holds every Event column under its own name, as the Hit does.
_RESTORED = [name for name in EVENT_FIELDS if name not in ("uuid", "site_id", "session_id", "timestamp", "props")]


def _hit(site: Site, row: dict[str, Any]) -> Hit:
    """Rebuild the enriched hit of an archived event (already through the pipeline's steps)."""
    moment = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
    return Hit(
        uuid=row["uuid"],
        site_id=site.id,
        timestamp=moment,
        raw_url=row["url"],
        props=row["props"] or {},
        **{name: row[name] for name in _RESTORED},
    )


def restore(
    *,
    sites: Iterable[Site] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Callable[[Iterator[tuple[datetime, list[str]]], int, str], Iterator[tuple[datetime, list[str]]]]
    | None = None,
) -> RestoreResult:
    """Load archived events back into the database through the pipeline's storage path.

    Idempotent: stored uuids are skipped. Sessions are rebuilt (an hour at a time, in time
    order) and the rollup days they touch are marked dirty, so the next rollup recomputes them.
    `since`/`until` bound the events' timestamps (half-open).
    """
    result = RestoreResult()
    storage = archive_storage()
    if sites is None:
        folders = {folder.removeprefix("site=") for folder in _dirs(storage, "")}
        known = list(Site.objects.all())
        result.skipped_sites = sorted(folders - {site_folder(s.domain) for s in known})
        sites = [s for s in known if site_folder(s.domain) in folders]
    for site in sites:
        hours = hours_in_archive(site.domain, since=since, until=until)
        items: Iterator[tuple[datetime, list[str]]] = iter(hours.items())
        for _, names in progress(items, len(hours), site.domain) if progress else items:
            rows: dict[str, dict[str, Any]] = {}
            for name in names:
                read = read_file(storage, name)
                result.files += 1
                result.damaged_files += read.damaged
                for row in read.rows:
                    rows.setdefault(row["uuid"], row)
            hits = sorted((_hit(site, row) for row in rows.values()), key=lambda h: (h.timestamp, h.uuid))
            hits = [h for h in hits if (not since or h.timestamp >= since) and (not until or h.timestamp < until)]
            result.events += len(hits)
            for start in range(0, len(hits), RESTORE_CHUNK):
                result.stored += _store_restored(site, hits[start : start + RESTORE_CHUNK])
    return result


def _store_restored(site: Site, hits: list[Hit]) -> int:
    """Store restored hits; keep the archive cursor past them when nothing else of the site awaits archiving.

    Restored events get new ids, above the cursor: without this the archiver would write them again.
    """
    with transaction.atomic():
        # No batch of the site's in flight meanwhile; the pipeline takes the same locks again inside.
        locks.lock_all_partitions()
        locks.lock_site(site.id)
        cursor = ArchiveCursor.objects.select_for_update().filter(site=site).first()
        archived_up_to = cursor.last_event_id if cursor else 0
        caught_up = not Event.objects.filter(site_id=site.id, id__gt=archived_up_to).exists()
        stored = pipeline.store_enriched(hits).stored
        if caught_up and stored:
            top = Event.objects.filter(site_id=site.id).aggregate(top=Max("id"))["top"] or 0
            ArchiveCursor.objects.update_or_create(
                site=site, defaults={"last_event_id": max(top, archived_up_to), "flushed": timezone.now()}
            )
    return stored


# --- retention and deletion ------------------------------------------------------------------


def apply_archive_retention(*, now: datetime | None = None) -> int:
    """Delete archive files of hours older than each site's archive retention; return how many."""
    now = now or timezone.now()
    storage = archive_storage()
    deleted = 0
    for site in Site.objects.all():
        days = site.archive_retention_days or settings.ARCHIVE_RETENTION_DAYS
        if not days:
            continue
        old = ArchiveFile.objects.filter(site=site, hour__lte=now - timedelta(days=days) - HOUR)
        for file_id, name in old.values_list("id", "name"):
            storage.delete(name)
            ArchiveFile.objects.filter(id=file_id).delete()
            deleted += 1
    return deleted


def stop_archiving(site: Site) -> None:
    """Stop archiving the site's events, waiting for a batch being written (before its data is deleted)."""
    with transaction.atomic():
        cursor, _ = ArchiveCursor.objects.select_for_update().get_or_create(
            site=site, defaults={"flushed": timezone.now()}
        )
        cursor.last_event_id = CURSOR_STOPPED
        cursor.save(update_fields=["last_event_id"])


def resume_archiving(site: Site) -> None:
    """Archive the site's events stored from now on (after its data was deleted)."""
    high = safe_high_water_mark(site)
    ArchiveCursor.objects.update_or_create(site=site, defaults={"last_event_id": high, "flushed": timezone.now()})


def delete_site_files(site: Site) -> int:
    """Delete every archive file of the site (listed, so files missing from the manifest go too)."""
    storage = archive_storage()
    deleted = 0
    tops = [site_folder(site.domain), f"site={site_folder(site.domain)}"]
    pending = list(tops)
    while pending:
        folder = pending.pop()
        try:
            dirs, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        for name in files:
            storage.delete(f"{folder}/{name}")
            deleted += 1
        pending += [f"{folder}/{d}" for d in dirs]
    with contextlib.suppress(NotImplementedError):
        for top in tops:
            _remove_empty_folders(storage.path(top))
    ArchiveFile.objects.filter(site=site).delete()
    return deleted


def _remove_empty_folders(top: str) -> None:
    for folder, _, _ in sorted(os.walk(top), key=lambda entry: -len(entry[0])):
        with contextlib.suppress(OSError):
            os.rmdir(folder)
