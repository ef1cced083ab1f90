"""Events as Parquet: the export's columns (export.COLUMNS) with warehouse types, a row group at a time.

Each row group is written out as soon as it is full (ROW_GROUP_ROWS rows), so memory holds one row
group whatever the number of events, and a download starts with the first group. Rows come in the
export's own form (export.rows), so CSV, NDJSON, Parquet and the archive all carry the same values:
the timestamp text becomes a UTC timestamp in microseconds, `props` JSON text of Parquet's JSON type.

pyarrow is imported here only, so processes that never write Parquet do not load it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from tracker.lifecycle.export import COLUMNS, chunked

ROW_GROUP_ROWS = 20_000
COMPRESSION = "zstd"
JSON = pa.json_(pa.string())
_TYPES: dict[str, pa.DataType] = {
    "timestamp": pa.timestamp("us", tz="UTC"),
    "visitor_hash": pa.int64(),
    "props": JSON,
    "engaged_ms": pa.int32(),
    "scroll_depth": pa.int16(),
}
# Every other column is text. Only engaged_ms and scroll_depth are ever null.
SCHEMA = pa.schema(
    [pa.field(name, _TYPES.get(name, pa.string()), nullable=name in ("engaged_ms", "scroll_depth")) for name in COLUMNS]
)


def record_batch(rows: Sequence[tuple[Any, ...]]) -> pa.RecordBatch:
    """Return export rows (tuples in COLUMNS order) as one record batch of SCHEMA."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(COLUMNS)
    arrays = []
    for field, values in zip(SCHEMA, columns, strict=True):
        if field.name == "timestamp":
            arrays.append(pa.array(values, pa.string()).cast(field.type))
        elif field.name == "props":
            text = pa.array([orjson.dumps(value).decode() for value in values], pa.string())
            arrays.append(pa.ExtensionArray.from_storage(JSON, text))
        else:
            arrays.append(pa.array(values, field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=SCHEMA)


def write(rows: Iterable[tuple[Any, ...]], sink: str | BinaryIO) -> int:
    """Write the rows as one Parquet file to a path or a binary file; return how many."""
    written = 0
    with pq.ParquetWriter(sink, SCHEMA, compression=COMPRESSION) as writer:
        for chunk in chunked(rows, ROW_GROUP_ROWS):
            writer.write_batch(record_batch(chunk))
            written += len(chunk)
    return written


class _Pending:
    """A write-only file that keeps what was written until taken: the pieces of a streamed download."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.position = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self.data += data
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data = bytes(self.data)
        self.data.clear()
        return data


def stream(rows: Iterable[tuple[Any, ...]]) -> Iterator[bytes]:
    """Yield a Parquet file of the rows a row group at a time (the footer, written last, closes it)."""
    pending = _Pending()
    writer = pq.ParquetWriter(pending, SCHEMA, compression=COMPRESSION)
    try:
        for chunk in chunked(rows, ROW_GROUP_ROWS):
            writer.write_batch(record_batch(chunk))
            yield pending.take()
    finally:
        writer.close()
    yield pending.take()


def read_rows(source: str | BinaryIO) -> list[dict[str, Any]]:
    """Read a Parquet file of SCHEMA back into rows as the NDJSON form has them (timestamp text, props object)."""
    table = pq.read_table(source)
    rows = table.cast(table.schema.set(table.schema.get_field_index("props"), pa.field("props", pa.string())))
    result = rows.to_pylist()
    for row in result:
        row["timestamp"] = row["timestamp"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        row["props"] = orjson.loads(row["props"])
    return result
