"""The compat tests' fixtures: the API's root URL, auth off by default, a GeoIP database with public ranges."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tracker.pipeline.enrich import geo

ROOT = "/compat/microanalytics/"


@pytest.fixture(autouse=True)
def _open_api(settings):
    settings.MICROANALYTICS_AUTH = False
    settings.MICROANALYTICS_PATH = "compat/microanalytics/"


@pytest.fixture
def public_geoip(tmp_path: Path, settings) -> Path:
    """81.2.69.0/24 is FR, 8.8.8.0/24 is US, 2a02:1::/32 is DE (all public ranges)."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type="GeoIP2-Country", ipv4_compatible=True)
    writer.insert_network(IPSet(["81.2.69.0/24"]), {"country": {"iso_code": "FR"}})
    writer.insert_network(IPSet(["8.8.8.0/24"]), {"country": {"iso_code": "US"}})
    writer.insert_network(IPSet(["2a02:1::/32"]), {"country": {"iso_code": "DE"}})
    path = tmp_path / "public.mmdb"
    writer.to_db_file(str(path))
    settings.GEOIP_DATABASE = str(path)
    geo.forget_cached_readers()
    return path


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
