"""Running imports: from a file on disk (the command) or an upload (the settings page, through Celery where
a worker runs, inline in the embedded mode), and deleting them.

An import is identified by its file's SHA-256 within the site: the same file again returns the import
already made and changes nothing. Its rows are written in batches while it runs (so its progress shows
on the settings page), and the stats layer reads the rows of finished imports only; a failed run deletes
what it wrote, and deleting an import removes its rows.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
import zlib
from typing import IO

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from imports.formats import FORMATS
from imports.models import Import, ImportedStat, ImportUpload
from imports.rows import FileError, Progress, Summary, no_progress

logger = logging.getLogger(__name__)
CHUNK = 1 << 20


class UnknownFormat(ValueError):
    """A format no importer reads."""


def content_hash(file: IO[bytes]) -> str:
    """The file's SHA-256 (hex); the file is left at its start."""
    digest = hashlib.sha256()
    file.seek(0)
    while chunk := file.read(CHUNK):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def import_create(
    *, site_id: int, format: str, file_name: str, file: IO[bytes], user: User | None = None, keep: bool = False
) -> tuple[Import, bool]:
    """Return the import of this file into the site and whether it is new. A file imported before (or
    queued) is not imported again; one whose import failed is queued again. With `keep`, the file's bytes
    are stored with the import for a worker to read."""
    if format not in FORMATS:
        raise UnknownFormat(f"Unknown format {format!r}; use one of {', '.join(FORMATS)}.")
    digest = content_hash(file)
    with transaction.atomic():
        job, created = Import.objects.select_for_update().get_or_create(
            site_id=site_id,
            content_hash=digest,
            defaults={"format": format, "file_name": file_name[:255], "created_by": user},
        )
        if not created and job.status != Import.Status.FAILED:
            return job, False
        if not created:
            job.format, job.file_name, job.created_by = format, file_name[:255], user
            job.status, job.error, job.progress = Import.Status.QUEUED, "", 0
            job.save()
        if keep:
            ImportUpload.objects.update_or_create(job=job, defaults={"data": file.read()})
            file.seek(0)
    return job, True


def _progress_saver(job: Import, progress: Progress) -> Progress:
    """Pass progress on, and keep the percent on the import (once per percent), for the settings page."""

    def report(done: int, total: int) -> None:
        progress(done, total)
        percent = min(99, 100 * done // total) if total else 0
        if percent > job.progress:
            job.progress = percent
            Import.objects.filter(id=job.id).update(progress=percent)

    return report


def import_run(job: Import, file: IO[bytes], progress: Progress = no_progress) -> Summary | None:
    """Read the file into the import's rows; return the summary, or None when the file was refused (the
    import is then `failed` with the reason in `error`)."""
    job.progress = 0
    Import.objects.filter(id=job.id).update(status=Import.Status.RUNNING, progress=0)
    try:
        summary = FORMATS[job.format].load(job, file, _progress_saver(job, progress))
    except (FileError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
        error = str(exc) if isinstance(exc, FileError) else f"The file is damaged and cannot be read ({exc})."
        _failed(job, error)
        return None
    except Exception:
        _failed(job, "The import stopped on an internal error; delete it and try again.")
        raise
    days = ImportedStat.objects.filter(job=job).aggregate(first=Min("day"), last=Max("day"))
    job.status, job.progress, job.summary = Import.Status.DONE, 100, summary.as_dict()
    job.first_day, job.last_day, job.finished = days["first"], days["last"], timezone.now()
    with transaction.atomic():
        job.save()
        ImportUpload.objects.filter(job=job).delete()
    logger.info("import %s of site %s: %s", job.id, job.site_id, summary.lines()[0])
    return summary


def _failed(job: Import, error: str) -> None:
    """Mark the import failed and delete the rows it wrote."""
    ImportedStat.objects.filter(job=job).delete()
    job.status, job.error, job.finished = Import.Status.FAILED, error, timezone.now()
    job.save(update_fields=["status", "error", "finished"])


def import_run_stored(import_id: int) -> None:
    """Run a queued import from its stored upload (the Celery task's body); a missing one did run."""
    job = Import.objects.select_related("site").filter(id=import_id, status=Import.Status.QUEUED).first()
    upload = ImportUpload.objects.filter(job_id=import_id).first()
    if job is None or upload is None:
        return
    import_run(job, io.BytesIO(bytes(upload.data)))


def import_delete(*, site_id: int, import_id: int) -> bool:
    """Delete an import of the site and its rows; False when the site has no such import."""
    return Import.objects.filter(site_id=site_id, id=import_id).delete()[0] > 0
