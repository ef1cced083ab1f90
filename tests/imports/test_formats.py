"""The formats' registry: every format has a label, an importer and a check that knows its own files."""

from __future__ import annotations

import pytest

from imports.formats import FORMATS
from tests.imports.conftest import DATA

SAMPLES = {
    "plausible": "plausible_export.zip",
    "umami": "umami_website_event.csv",
    "ga4": "ga4_reports.zip",
    "access-log": "../access_logs/apache-access.log.gz",
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_check_takes_its_own_sample_and_refuses_the_others(name):
    for other, sample in SAMPLES.items():
        with (DATA / sample).open("rb") as file:
            problem = FORMATS[name].check(file, sample)
            assert file.tell() == 0  # the file is left for the importer
        assert (problem is None) == (other == name), (name, sample, problem)
    assert FORMATS[name].label
