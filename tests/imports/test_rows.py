"""The shared row checks: counts, days, values, and a CSV reader that skips what it cannot read."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imports.rows import MAX_VALUE, FileError, RowError, Summary, count, csv_rows, day_of, text_value


@given(st.integers(0, 10**15 - 1))
def test_every_whole_number_is_a_count(number):
    assert count({"n": str(number)}, "n") == number
    assert count({"n": f" {number}.0 "}, "n") == number  # GA4 writes some counts as decimals


@given(st.text().filter(lambda text: not text.strip().replace(".", "", 1).isdigit()))
def test_anything_else_is_a_bad_number_or_missing(text):
    with pytest.raises(RowError) as error:
        count({"n": text}, "n")
    assert error.value.reason in ("bad_number", "missing_value")


def test_an_optional_count_may_be_missing():
    assert count({}, "n", required=False) == 0
    with pytest.raises(RowError, match="no n"):
        count({}, "n")


def test_days_in_the_formats_given():
    assert day_of("20250301", ("%Y%m%d", "%Y-%m-%d")).isoformat() == "2025-03-01"
    with pytest.raises(RowError) as error:
        day_of("2025-02-30")
    assert error.value.reason == "bad_date"


@given(st.text())
def test_values_carry_no_control_characters_and_fit_the_column(text):
    value = text_value(text * 3)
    assert len(value) <= MAX_VALUE
    assert not any(ord(char) < 32 or ord(char) == 127 for char in value)


@given(st.binary(max_size=2000))
def test_the_csv_reader_counts_every_row_it_reads_and_never_crashes_on_bytes(data):
    summary = Summary()
    try:
        rows = list(csv_rows(io.BytesIO(b"a,b\n" + data), "f.csv", summary))
    except FileError:  # never for a readable header
        pytest.fail("a CSV with a header refused whole")
    assert summary.read == len(rows) + sum(summary.skipped.values())
    assert all(set(row) == {"a", "b"} for _, row in rows)


def test_the_summary_counts_every_problem_and_lists_the_first_fifty():
    summary = Summary()
    for line in range(70):
        summary.skip("bad_date", f"f.csv:{line}")
    assert summary.skipped == {"bad_date": 70}
    assert len(summary.problems) == 50
    assert summary.lines()[:2] == ["read 0 rows, imported 0, skipped 70", "  skipped 70: bad_date"]
