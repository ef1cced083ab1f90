"""What every importer shares: the summary of a run, the checks of one row's fields, and the writer of
the rows of daily counts."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from imports.models import Import, ImportedStat

# How many problems a summary lists with their place (all are counted).
MAX_PROBLEMS = 50
WRITE_BATCH = 5000
# The value column's length; longer values (a page path with a long query) are cut.
MAX_VALUE = 2000
# C0 controls and DEL: never part of a value, and PostgreSQL refuses NUL.
_CONTROL = dict.fromkeys([*range(32), 127])
_COUNT = re.compile(r"\s*[0-9]{1,15}(\.0*)?\s*\Z")

# (done, total) in any unit the importer chooses (bytes of the file, as a rule).
Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """A progress callback for callers that show none."""


class RowError(ValueError):
    """A row that cannot be imported; `reason` is one of a small set of codes, counted in the summary."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class FileError(ValueError):
    """A file that cannot be imported at all (not the format, nothing importable in it)."""


@dataclass
class Summary:
    """Rows read, imported and skipped by reason, with the first problems' places (file and line)."""

    read: int = 0
    imported: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the file as a whole, e.g. a missing part

    def skip(self, reason: str, where: str, detail: str = "") -> None:
        self.skipped[reason] += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{where}: {reason}" + (f" ({detail})" if detail else ""))

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "imported": self.imported,
            "skipped": dict(self.skipped),
            "problems": self.problems,
            "notes": self.notes,
        }

    def lines(self) -> list[str]:
        """The summary as text, for the command and the settings page."""
        skipped = sum(self.skipped.values())
        text = [f"read {self.read:,} rows, imported {self.imported:,}, skipped {skipped:,}"]
        text += [f"  skipped {count:,}: {reason}" for reason, count in sorted(self.skipped.items())]
        text += [f"  {problem}" for problem in self.problems]
        text += [f"  note: {note}" for note in self.notes]
        return text


def text_value(text: str | None) -> str:
    """A dimension value as stored: without control characters, cut to the column's length."""
    return (text or "").translate(_CONTROL).strip()[:MAX_VALUE]


def count(row: dict[str, Any], column: str, *, required: bool = True) -> int:
    """A whole, non-negative number from a column (GA4 writes `12.0` for some); RowError otherwise."""
    text = row.get(column)
    if text is None or text == "":
        if required:
            raise RowError("missing_value", f"no {column}")
        return 0
    if not _COUNT.match(str(text)):
        raise RowError("bad_number", f"{column}={str(text)[:40]!r}")
    return int(float(text))


def day_of(text: str | None, formats: tuple[str, ...] = ("%Y-%m-%d",)) -> date:
    """A calendar day in one of the formats; RowError("bad_date") otherwise."""
    for fmt in formats:
        try:
            return datetime.strptime((text or "").strip(), fmt).date()
        except ValueError:
            continue
    raise RowError("bad_date", f"{(text or '')[:40]!r}")


def csv_rows(binary: IO[bytes], where: str, summary: Summary) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line, row) of a CSV file with a header row, as dicts by column name; rows of another
    number of columns, and lines the csv module cannot read, are skipped and counted."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")
    try:
        yield from _rows(csv.reader(text), where, summary)
    finally:
        text.detach()  # the caller closes its file, not this wrapper


def _rows(reader: Any, where: str, summary: Summary) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        raise FileError(f"{where}: not a CSV file ({exc})") from exc
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            summary.read += 1
            summary.skip("bad_csv", f"{where}:{reader.line_num}", str(exc))
            continue
        if not values or values == [""]:
            continue
        summary.read += 1
        if len(values) != len(header):
            summary.skip("wrong_column_count", f"{where}:{reader.line_num}", f"{len(values)} of {len(header)}")
            continue
        yield reader.line_num, dict(zip(header, values, strict=True))


def size_of(file: IO[bytes]) -> int:
    """The file's length in bytes (the progress bar's total); the file is left at its start."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size


@dataclass(frozen=True)
class Stat:
    """One row of daily counts, before it is written."""

    day: date
    dimension: str
    value: str
    visitors: int = 0
    visits: int = 0
    pageviews: int = 0
    bounces: int = 0
    duration: int = 0
    events: int = 0


class Writer:
    """Writes an import's rows in batches."""

    def __init__(self, job: Import) -> None:
        self.job = job
        self.batch: list[ImportedStat] = []

    def add(self, stat: Stat) -> None:
        self.batch.append(ImportedStat(job=self.job, site_id=self.job.site_id, **stat.__dict__))
        if len(self.batch) >= WRITE_BATCH:
            self.flush()

    def flush(self) -> None:
        ImportedStat.objects.bulk_create(self.batch)
        self.batch = []
