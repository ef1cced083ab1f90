"""Parquet: the export's columns with warehouse types, the same values as NDJSON, written a row group at a time."""

from __future__ import annotations

import io
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from tests.factories import SiteFactory
from tests.tracker.events import store, visits
from tracker.lifecycle import export, parquet

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return SiteFactory(domain="export.example")


def ndjson(site) -> list[dict[str, Any]]:
    import orjson

    return [orjson.loads(line) for line in b"".join(export.stream(site, "ndjson")).splitlines()]


def test_the_schema_has_the_export_columns_in_order():
    assert parquet.SCHEMA.names == list(export.COLUMNS)
    types = {field.name: field.type for field in parquet.SCHEMA}
    assert types["timestamp"] == pa.timestamp("us", tz="UTC")
    assert (types["visitor_hash"], types["engaged_ms"], types["scroll_depth"]) == (pa.int64(), pa.int32(), pa.int16())
    assert types["props"] == parquet.JSON
    assert {types[name] for name in ("uuid", "site", "session_id", "path", "country")} == {pa.string()}


def test_a_parquet_export_holds_the_values_of_the_ndjson_export(site):
    store(visits(site, visitors=4, hours=2))
    data = b"".join(export.stream(site, "parquet"))
    assert data[:4] == data[-4:] == b"PAR1"
    rows = parquet.read_rows(io.BytesIO(data))
    assert rows == ndjson(site)
    assert any(row["props"] == {"plan": "pro", "n": 1} for row in rows)
    assert any(row["engaged_ms"] is None for row in rows)
    assert any(row["engaged_ms"] for row in rows)


def test_an_empty_export_is_a_parquet_file_with_the_schema_and_no_rows(site):
    table = pq.read_table(io.BytesIO(b"".join(export.stream(site, "parquet"))))
    assert table.num_rows == 0
    assert table.schema.names == list(export.COLUMNS)


def test_row_groups_are_written_as_the_rows_arrive(site, monkeypatch):
    """The first piece leaves before the rows after the first row group are read: memory holds one group."""
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 100)
    store(visits(site, visitors=30, hours=3))
    rows = list(export.rows(site, export.events_for_export(site)))
    read = 0

    def counted() -> Iterator[tuple[Any, ...]]:
        nonlocal read
        for row in rows:
            read += 1
            yield row

    pieces = parquet.stream(counted())
    first = next(pieces)
    assert first
    assert read <= 101
    data = first + b"".join(pieces)
    assert pq.ParquetFile(io.BytesIO(data)).metadata.num_row_groups == -(-len(rows) // 100)
    assert pq.read_table(io.BytesIO(data)).num_rows == len(rows) > 200


def test_write_makes_the_same_file_as_the_stream(site, tmp_path):
    store(visits(site, visitors=2, hours=1))
    path = tmp_path / "events.parquet"
    written = parquet.write(export.rows(site, export.events_for_export(site)), str(path))
    assert written == len(ndjson(site))
    assert parquet.read_rows(str(path)) == ndjson(site)


def test_export_events_command_writes_parquet(site, tmp_path):
    store(visits(site, visitors=2, hours=1))
    output = tmp_path / "events.parquet"
    call_command(
        "export_events", "--site", "export.example", "--format", "parquet", f"--output={output}", stderr=StringIO()
    )
    assert parquet.read_rows(str(output)) == ndjson(site)
    empty = tmp_path / "empty.parquet"
    call_command(
        "export_events", "--site=export.example", "--format=parquet", "--since=2020-01-01", "--until=2020-01-31",
        f"--output={empty}", stderr=StringIO(),
    )  # fmt: skip
    assert pq.read_table(str(empty)).num_rows == 0


def test_export_events_refuses_an_unknown_format(site, tmp_path):
    with pytest.raises(CommandError, match="invalid choice: 'xlsx'"):
        call_command("export_events", "--site", "export.example", "--format", "xlsx", f"--output={tmp_path / 'x'}")
    assert not (tmp_path / "x").exists()
