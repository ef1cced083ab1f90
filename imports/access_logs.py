"""Server access logs as an import format: unlike the other formats, each kept line becomes an event of
the site through the pipeline (tracker/access_log.py), not a daily aggregate, so a site with no snippet
gets its analytics from logs alone. The import keeps what was read and skipped."""

from __future__ import annotations

import zlib
from itertools import islice
from typing import IO

from imports.models import Import
from imports.rows import MAX_PROBLEMS, Progress, Summary, size_of
from tracker.access_log import LINE, import_access_log, open_log, read_lines

# Lines looked at by the check: a log whose first few lines are none of them combined is another file.
CHECKED_LINES = 20

# Said on every such import: its events are the site's own from then on.
EVENTS_STAY = (
    "Its events are the site's own now: deleting this import does not delete them; deleting the site's data does."
)


def check(file: IO[bytes], name: str) -> str | None:
    """Refuse a file none of whose first lines is in the combined log format; leave the file at its start."""
    try:
        found = any(line is not None and LINE.match(line) for line in islice(read_lines(open_log(file)), CHECKED_LINES))
    except (OSError, EOFError, zlib.error):  # a damaged gzip stream
        found = False
    file.seek(0)
    return None if found else "Not an access log in the combined format (nginx's default, Apache's combined)."


def load(job: Import, file: IO[bytes], progress: Progress) -> Summary:
    """Import an access log (combined format, plain or gzip) through the pipeline."""
    total = size_of(file)
    result = import_access_log(job.site, file, progress=lambda lines: progress(min(file.tell(), total), total))
    summary = Summary(read=result.lines, imported=result.imported, notes=[EVENTS_STAY])
    summary.skipped.update(result.skipped)
    places = [(line, reason) for reason, lines in result.samples.items() for line in lines]
    summary.problems = [f"{job.file_name}:{line}: {reason}" for line, reason in sorted(places)[:MAX_PROBLEMS]]
    if result.error:
        summary.notes.append(result.error)
    progress(total, total)
    return summary
