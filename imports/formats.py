"""The import formats by name: what `manage.py import_stats --format` and the settings page's upload form
offer. Adding a format is one entry: a label and an importer, a function of the import (its site and
file name), the file (binary, seekable) and a progress callback, returning the run's Summary; and
optionally a check that the upload form runs on a file before queueing it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from imports import access_logs, ga4, plausible, umami
from imports.models import Import
from imports.rows import Progress, Summary

Importer = Callable[[Import, IO[bytes], Progress], Summary]
# A quick look at a file (its start, its name) before it is queued: why it is not of the format, or None.
Check = Callable[[IO[bytes], str], str | None]


def any_file(file: IO[bytes], name: str) -> None:
    """A check that takes every file (the importer's own summary reports what it could not read)."""


@dataclass(frozen=True)
class Format:
    label: str
    load: Importer
    check: Check = any_file


FORMATS: dict[str, Format] = {
    "plausible": Format("Plausible CE export (.zip of imported_*.csv)", plausible.load, plausible.check),
    "umami": Format("Umami website events export (.csv)", umami.load, umami.check),
    "ga4": Format("Google Analytics 4 reports (.csv, or a .zip of several)", ga4.load, ga4.check),
    "access-log": Format(
        "Server access log, combined format (nginx, Apache; .gz too)", access_logs.load, access_logs.check
    ),
}
