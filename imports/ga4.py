"""Google Analytics 4 reports downloaded as CSV (Reports → a report → Share this report → Download File →
Download CSV), with Date as a dimension beside the report's own: pages and screens, traffic acquisition
(session source), demographic details (country) and tech details (device category, browser, operating
system); a report by Date alone gives the site's daily totals. One CSV, or a zip of several.

GA4 writes `#` comment lines (report name, property, date range) before each table and may put several
tables in one file, separated by blank lines; each table's first line names its columns. Tables whose
columns name no Date or no known dimension are noted and skipped. GA4's users are its own distinct
counts per day; its bounces are sessions that were not engaged.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO

from imports import values
from imports.models import Import
from imports.rows import (
    FileError,
    Progress,
    RowError,
    Stat,
    Summary,
    Writer,
    count,
    day_of,
    size_of,
    text_value,
)

DATE_COLUMNS = ("Date",)
# GA4's dimension columns → (Footfall's property, the value as Footfall stores it).
DIMENSIONS: dict[str, tuple[str, Callable[[str | None], str]]] = {
    "Page path and screen class": ("event:page", text_value),
    "Page path": ("event:page", text_value),
    "Page path + query string": ("event:page", text_value),
    "Landing page": ("visit:entry_page", text_value),
    "Landing page + query string": ("visit:entry_page", text_value),
    "Session source": ("visit:source", values.source),
    "Session source / medium": ("visit:source", lambda text: values.source((text or "").split(" / ")[0])),
    "Country": ("visit:country", values.country),
    "Device category": ("visit:device", values.device),
    "Browser": ("visit:browser", values.browser),
    "Operating system": ("visit:os", values.system),
}
USERS = ("Total users", "Active users", "Users")
PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class _Table:
    header: list[str]
    dimension: str  # Footfall's property; "" for a table by Date alone
    value_column: str | None
    clean: Callable[[str | None], str]


def _table(header: list[str], where: str, summary: Summary) -> _Table | None:
    if "Date" not in header:
        summary.notes.append(f"{where}: a table without a Date column ({', '.join(header[:3])}...), skipped")
        return None
    named = [name for name in header if name in DIMENSIONS]
    if named:
        dimension, clean = DIMENSIONS[named[0]]
        return _Table(header, dimension, named[0], clean)
    if not any(name in header for name in (*USERS, "Sessions", "Views")):
        summary.notes.append(f"{where}: a table of no known dimension or metric, skipped")
        return None
    return _Table(header, "", None, text_value)


def _first(row: dict[str, str], names: tuple[str, ...]) -> int:
    for name in names:
        if row.get(name, "") != "":
            return count(row, name)
    return 0


def _stat(table: _Table, row: dict[str, str]) -> Stat:
    day = day_of(row.get("Date"), ("%Y%m%d", "%Y-%m-%d"))
    value = table.clean(row.get(table.value_column)) if table.value_column else ""
    visits = _first(row, ("Sessions",))
    # Reports without Sessions (demographics, tech) count no visits, so no bounces either.
    engaged = _first(row, ("Engaged sessions",)) if "Engaged sessions" in row and "Sessions" in row else visits
    if engaged > visits:
        raise RowError("inconsistent_counts", "more engaged sessions than sessions")
    average = row.get("Average engagement time per session", "") or "0"
    try:
        duration = round(float(average) * visits)
    except ValueError as exc:
        raise RowError("bad_number", f"Average engagement time per session={average[:40]!r}") from exc
    users, views = _first(row, USERS), _first(row, ("Views",))
    return Stat(day, table.dimension, value, users, visits, views, visits - engaged, duration)


def _lines(binary: IO[bytes]) -> Iterator[tuple[int, str]]:
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")
    try:
        yield from enumerate(text, start=1)
    finally:
        text.detach()


class _Report:
    """Reads the tables of GA4 CSV files, and sums the sources table into daily totals in case no table
    by Date alone gives them."""

    def __init__(self, writer: Writer, summary: Summary) -> None:
        self.writer, self.summary = writer, summary
        self.totals_seen = False
        self.from_sources: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])

    def read(self, binary: IO[bytes], where: str, progress: Callable[[int], None]) -> None:
        table: _Table | None = None
        in_table = False
        for line, text in _lines(binary):
            if text.startswith("#") or not text.strip():
                in_table = False
                continue
            try:
                cells = next(csv.reader([text]))
            except csv.Error as exc:
                self.summary.read += 1
                self.summary.skip("bad_csv", f"{where}:{line}", str(exc))
                continue
            if not in_table:
                table, in_table = _table([cell.strip() for cell in cells], f"{where}:{line}", self.summary), True
                continue
            if table is None:
                continue
            self.row(table, cells, f"{where}:{line}")
            if self.summary.read % PROGRESS_EVERY == 0:
                progress(binary.tell())
        progress(binary.tell())

    def row(self, table: _Table, cells: list[str], where: str) -> None:
        self.summary.read += 1
        if len(cells) != len(table.header):
            self.summary.skip("wrong_column_count", where, f"{len(cells)} of {len(table.header)}")
            return
        row = dict(zip(table.header, cells, strict=True))
        if not row["Date"].strip() or row["Date"].strip().lower() in ("total", "grand total"):
            self.summary.skip("total_row", where)
            return
        try:
            stat = _stat(table, row)
        except RowError as exc:
            self.summary.skip(exc.reason, where, exc.detail)
            return
        self.writer.add(stat)
        self.summary.imported += 1
        if table.dimension == "":
            self.totals_seen = True
        elif table.dimension == "visit:source":
            sums = self.from_sources[stat.day]
            for index, number in enumerate((stat.visitors, stat.visits, stat.pageviews, stat.bounces, stat.duration)):
                sums[index] += number

    def close(self) -> None:
        """Write daily totals summed from the sources table when no table by Date alone gave them."""
        if self.totals_seen:
            return
        if not self.from_sources:
            self.summary.notes.append("no daily totals: add a report by Date alone, or the traffic acquisition one")
            return
        for day, sums in self.from_sources.items():
            self.writer.add(Stat(day, "", "", *sums))
        self.summary.notes.append("daily totals summed from the session source table (users approximate)")


def _after(progress: Progress, before: int, total: int) -> Callable[[int], None]:
    """Progress within one file of a zip, after the files before it."""
    return lambda at: progress(before + at, total)


def _has_table(binary: IO[bytes]) -> bool:
    """Whether the file's first 64 KB hold a table with GA4's Date column."""
    head = binary.read(64 * 1024).decode("utf-8-sig", errors="replace").splitlines()
    return any(not line.startswith("#") and "Date" in line.split(",") for line in head)


def check(file: IO[bytes], name: str) -> str | None:
    """Why the file is no GA4 report CSV (no table with a Date column in its first lines) or zip of them."""
    refused = "Not a GA4 report: no table with a Date column (add Date as a dimension)."
    try:
        if not zipfile.is_zipfile(file):
            return None if _has_table(file) else refused
        with zipfile.ZipFile(file) as archive:
            for member in (name for name in archive.namelist() if name.lower().endswith(".csv")):
                with archive.open(member) as csv_file:
                    if _has_table(csv_file):
                        return None
        return f"The zip holds no GA4 report CSV. {refused}"
    finally:
        file.seek(0)


def load(job: Import, file: IO[bytes], progress: Progress) -> Summary:
    """Import GA4 report CSVs: one file, or a zip of several."""
    summary, writer = Summary(), Writer(job)
    report = _Report(writer, summary)
    if zipfile.is_zipfile(file):
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            members = [info for info in archive.infolist() if info.filename.lower().endswith(".csv")]
            if not members:
                raise FileError("The zip holds no CSV files.")
            total, done = sum(info.file_size for info in members), 0
            for info in members:
                with archive.open(info) as member:
                    report.read(member, info.filename, _after(progress, done, total))
                done += info.file_size
    else:
        total = size_of(file)
        report.read(file, job.file_name, lambda at: progress(at, total))
    if summary.imported == 0 and not summary.skipped:
        raise FileError("No GA4 report table with a Date column and a known dimension in the file.")
    report.close()
    writer.flush()
    return summary
