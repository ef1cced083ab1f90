"""Plausible CE's CSV export: a zip of `imported_<table>_<YYYYMMDD>_<YYYYMMDD>.csv` files, one per table
(Site settings → Imports & Exports → Export to CSV), as lib/plausible/exports.ex writes them and
imported/csv_importer.ex reads them back. A single such CSV file imports too.

Each table becomes rows of one or more of Footfall's properties; columns are read by name, so their
order does not matter, and columns that older or newer exports add or lack are tolerated where the
counts allow it.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from imports import values
from imports.models import Import
from imports.rows import FileError, Progress, RowError, Stat, Summary, Writer, count, csv_rows, day_of, text_value

FILE_NAME = re.compile(r"(?:.*/)?(?:imported_)?([a-z_]+?)_([0-9]{8})_([0-9]{8})\.csv\Z")
Row = dict[str, str]


@dataclass(frozen=True)
class Table:
    """How one export table's rows become rows of Footfall's properties."""

    dimensions: tuple[tuple[str, Callable[[Row], str]], ...]  # (property, the row's value of it)
    visits: str | None = "visits"  # the column counting the visits of the value
    pageviews: bool = True
    sessions: bool = True  # bounces and visit_duration columns
    events: bool = False


def _column(name: str, clean: Callable[[str | None], str] = text_value) -> Callable[[Row], str]:
    return lambda row: clean(row.get(name))


TABLES: dict[str, Table] = {
    "visitors": Table((("", lambda row: ""),)),
    "sources": Table(
        (
            ("visit:source", _column("source", values.source)),
            ("visit:referrer", _column("referrer", values.referrer_domain)),
            *((f"visit:{utm}", _column(utm)) for utm in ("utm_source", "utm_medium", "utm_campaign", "utm_term")),
            ("visit:utm_content", _column("utm_content")),
        )
    ),
    "pages": Table((("event:page", _column("page")),), sessions=False),
    "entry_pages": Table((("visit:entry_page", _column("entry_page")),), visits="entrances"),
    "exit_pages": Table((("visit:exit_page", _column("exit_page")),), visits="exits"),
    "locations": Table((("visit:country", _column("country", values.country)),)),
    "devices": Table((("visit:device", _column("device", values.device)),)),
    "browsers": Table((("visit:browser", _column("browser", values.browser)),)),
    "operating_systems": Table((("visit:os", _column("operating_system", values.system)),)),
    "custom_events": Table(
        (("event:name", _column("name")),), visits=None, pageviews=False, sessions=False, events=True
    ),
}


def _stats(table: Table, row: Row) -> list[Stat]:
    day = day_of(row.get("date"))
    counts = {
        "visitors": count(row, "visitors"),
        "visits": count(row, table.visits, required=False) if table.visits else 0,
        "pageviews": count(row, "pageviews", required=False) if table.pageviews else 0,
        "bounces": count(row, "bounces", required=False) if table.sessions else 0,
        "duration": count(row, "visit_duration", required=False) if table.sessions else 0,
        "events": count(row, "events") if table.events else 0,
    }
    if counts["bounces"] > counts["visits"] > 0:
        raise RowError("inconsistent_counts", "more bounces than visits")
    stats = [Stat(day, dimension, value(row), **counts) for dimension, value in table.dimensions]
    # A visit without a UTM parameter has none to count, while an empty source is "Direct / None".
    return [stat for stat in stats if stat.value or not stat.dimension.startswith("visit:utm_")]


def _load_table(table: Table, binary: IO[bytes], where: str, writer: Writer, summary: Summary) -> None:
    for line, row in csv_rows(binary, where, summary):
        missing = [name for name in ("date", "visitors") if name not in row]
        if missing:
            summary.skip("missing_column", f"{where}:{line}", ", ".join(missing))
            summary.notes.append(f"{where}: no {' or '.join(missing)} column, file skipped")
            return
        try:
            stats = _stats(table, row)
        except RowError as exc:
            summary.skip(exc.reason, f"{where}:{line}", exc.detail)
            continue
        for stat in stats:
            writer.add(stat)
        summary.imported += 1


def _table_of(name: str) -> str | None:
    match = FILE_NAME.match(name)
    return match[1] if match and match[1] in TABLES else None


def check(file: IO[bytes], name: str) -> str | None:
    """Why the file is no Plausible CE export (a zip of its files, or one of them), or None."""
    try:
        if zipfile.is_zipfile(file):
            with zipfile.ZipFile(file) as archive:
                if any(_table_of(member) for member in archive.namelist()):
                    return None
            return "The zip holds no Plausible CE export files (imported_<table>_<from>_<to>.csv)."
        return None if _table_of(name) else "Not a Plausible CE export: a .zip of imported_*.csv files."
    finally:
        file.seek(0)


def load(job: Import, file: IO[bytes], progress: Progress) -> Summary:
    """Import a Plausible CE export (a zip of its CSV files, or one of them)."""
    summary, writer = Summary(), Writer(job)
    if not zipfile.is_zipfile(file):
        file.seek(0)
        table = _table_of(job.file_name)
        if table is None:
            raise FileError("Not a Plausible CE export: a .zip of imported_*.csv files, or one of those files.")
        _load_table(TABLES[table], file, job.file_name, writer, summary)
        writer.flush()
        return summary
    file.seek(0)
    with zipfile.ZipFile(file) as archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        known = [info for info in members if _table_of(info.filename)]
        if not known:
            raise FileError("The zip holds no Plausible CE export files (imported_<table>_<from>_<to>.csv).")
        total, done = sum(info.compress_size for info in known), 0
        for info in members:
            if info not in known:
                summary.notes.append(f"{info.filename}: not a file of Plausible's export, skipped")
                continue
            table = str(_table_of(info.filename))
            with archive.open(info) as member:
                _load_table(TABLES[table], member, info.filename, writer, summary)
            done += info.compress_size
            progress(done, total)
        found = {_table_of(info.filename) for info in known}
        summary.notes += [f"no imported_{name} file in the zip" for name in TABLES if name not in found]
    writer.flush()
    return summary
