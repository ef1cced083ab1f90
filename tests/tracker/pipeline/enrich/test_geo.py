"""Country lookups from a GeoIP2 country database the test builds itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.pipeline.enrich import geo


@pytest.mark.parametrize(
    ("ip", "country"),
    [
        ("203.0.113.9", "DE"),
        ("::ffff:203.0.113.9", "DE"),  # an IPv4 client through a dual-stack socket
        ("2001:db8::1", "FR"),
        ("198.51.100.1", ""),
        ("10.0.0.1", ""),
        ("not an ip", ""),
    ],
)
def test_country_of(geoip_db, ip, country):
    assert geo.country_of(ip) == country


def test_missing_database_gives_empty_countries(settings, tmp_path: Path):
    settings.GEOIP_DATABASE = str(tmp_path / "missing.mmdb")
    assert geo.country_of("203.0.113.9") == ""


def test_no_database_configured(settings):
    settings.GEOIP_DATABASE = ""
    assert geo.country_of("203.0.113.9") == ""


def test_bundled_database_when_present(settings):
    from django.conf import settings as django_settings

    bundled = Path(django_settings.BASE_DIR) / "tracker" / "data" / "dbip-country-lite.mmdb"
    if not bundled.exists():
        pytest.skip("the bundled DB-IP database is not in this checkout")
    settings.GEOIP_DATABASE = str(bundled)
    assert geo.country_of("8.8.8.8") == "US"
