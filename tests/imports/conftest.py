"""The committed sample exports and an import to load them into."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from imports.models import Import, ImportedStat
from imports.rows import Summary
from imports.services import import_create, import_run
from tests.factories import SiteFactory

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"


def load(site, format: str, path: Path) -> tuple[Import, Summary | None]:
    with path.open("rb") as file:
        job, _ = import_create(site_id=site.id, format=format, file_name=path.name, file=file)
        return job, import_run(job, file)


def rows(job: Import, dimension: str) -> dict[tuple[str, str], tuple[int, ...]]:
    """The import's rows of one property: (day, value) → (visitors, visits, pageviews, bounces, duration, events)."""
    found = ImportedStat.objects.filter(job=job, dimension=dimension).values_list(
        "day", "value", "visitors", "visits", "pageviews", "bounces", "duration", "events"
    )
    return {(str(day), value): tuple(counts) for day, value, *counts in found}


@pytest.fixture
def site():
    return SiteFactory(domain="blog.example")


@pytest.fixture
def loaded(site) -> Callable[[str, str], tuple[Import, Summary | None]]:
    return lambda format, name: load(site, format, DATA / name)
