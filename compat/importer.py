"""Import µAnalytics' on-disk data: ROOT/<website>/<YYYY-MM>/analytics.db, one `visits` table each.

Every row goes through the real pipeline (sessions, rollup dirty marks) as a Hit whose event
uuid is derived from website, month, row position and row content, so a re-run stores nothing
twice. The row's raw `ip` only becomes the monthly visitor token (compat.visitors) and is left
out of the uuid's input too, since a uuid5 of an address could be reversed by trying addresses.
Time, event, path, platform, referrer domain and country are kept as stored.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.contrib.auth.models import User

from compat.parsing import MAX_UNIX
from compat.service import Stored, hit_for
from compat.websites import domain_of, website_create, websites_mark_long_lived_ids
from tracker import pipeline
from tracker.ingest.hits import DropReason, Hit

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "footfall:import:microanalytics")
MONTH = re.compile(r"[0-9]{4}-[0-9]{2}\Z")
SHARD = "analytics.db"
COLUMNS = ("time", "event", "path", "ip", "platform", "refererDomain", "countryCode")
COUNTRY = re.compile(r"[A-Za-z]{2}\Z")


@dataclass
class ImportSummary:
    websites: set[str] = field(default_factory=set)
    files: int = 0
    rows: int = 0
    imported: int = 0
    already_imported: int = 0
    invalid: int = 0  # rows whose time is not a Unix time in years 1-9999
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    skipped_folders: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class Shard:
    website: str
    month: str
    path: Path


def find_shards(root: Path, summary: ImportSummary) -> list[Shard]:
    """Return every website/month shard under root, in name order; note folders that cannot be one."""
    shards = []
    for website in sorted(p for p in root.iterdir() if p.is_dir()):
        if domain_of(website.name) is None:
            summary.skipped_folders.append(website)
            continue
        for month in sorted(p for p in website.iterdir() if p.is_dir()):
            if not MONTH.match(month.name):
                summary.skipped_folders.append(month)
            elif (month / SHARD).is_file():
                shards.append(Shard(website.name, month.name, month / SHARD))
    return shards


def _connect(path: Path) -> sqlite3.Connection:
    # Read-only: the importer must never change µAnalytics' files.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def count_rows(shard: Shard) -> int:
    with _connect(shard.path) as connection:
        return int(connection.execute("SELECT COUNT(*) FROM visits").fetchone()[0])


def read_rows(shard: Shard) -> Iterator[tuple[object, ...]]:
    connection = _connect(shard.path)
    try:
        yield from connection.execute(f"SELECT {', '.join(COLUMNS)} FROM visits ORDER BY rowid")  # noqa: S608
    finally:
        connection.close()


def _text(value: object) -> str:
    return "" if value is None else str(value)


def event_uuid(shard: Shard, position: int, row: tuple[object, ...]) -> str:
    content = [_text(value) for name, value in zip(COLUMNS, row, strict=True) if name != "ip"]
    return str(uuid.uuid5(NAMESPACE, "\x1f".join([shard.website, shard.month, str(position), *content])))


def _time(value: object) -> datetime | None:
    try:
        seconds = int(str(value))
    except ValueError:
        return None
    if not -62_135_596_800 <= seconds <= MAX_UNIX:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


def import_root(
    root: Path,
    *,
    owner: User | None = None,
    batch_size: int = 1000,
    progress: Callable[[int], None] = lambda rows: None,
    shards: list[Shard] | None = None,
    summary: ImportSummary | None = None,
) -> ImportSummary:
    """Import every shard under root; report unreadable files and go on. `progress` gets rows done."""
    summary = summary or ImportSummary()
    for shard in find_shards(root, summary) if shards is None else shards:
        try:
            _import_shard(shard, owner=owner, batch_size=batch_size, progress=progress, summary=summary)
        except sqlite3.Error as exc:
            summary.unreadable.append((shard.path, str(exc)))
    return summary


def _import_shard(
    shard: Shard, *, owner: User | None, batch_size: int, progress: Callable[[int], None], summary: ImportSummary
) -> None:
    rows = list(read_rows(shard))  # read whole before writing: a broken file imports nothing
    site, _ = website_create(name=shard.website, owner=owner)
    websites_mark_long_lived_ids([site])
    summary.websites.add(shard.website)
    summary.files += 1
    batch: list[Hit] = []
    for position, row in enumerate(rows):
        summary.rows += 1
        moment = _time(row[0])
        if moment is None:
            summary.invalid += 1
            continue
        event, path, ip, platform, referer_domain, country = (_text(v) for v in row[1:])
        stored = Stored(moment, event, path, ip, platform, referer_domain)
        code = country.upper() if COUNTRY.match(country) else ""
        batch.append(hit_for(site, stored, event_uuid=event_uuid(shard, position, row), country=code))
        if len(batch) >= batch_size:
            _store(batch, summary, progress)
            batch = []
    _store(batch, summary, progress)
    progress(len(rows))


def _store(batch: list[Hit], summary: ImportSummary, progress: Callable[[int], None]) -> None:
    if not batch:
        return
    result = pipeline.process_batch(batch)
    summary.imported += result.stored
    summary.already_imported += result.dropped.get(DropReason.DUPLICATE, 0)
