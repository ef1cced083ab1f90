"""The Countries panel's world map: its files are ours, served from our static URL, and its code table fits its map."""

from __future__ import annotations

import importlib.util
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders

from tests.factories import MembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
MAP_FILES = {
    "vendor/chartjs-chart-geo/index.umd.min.js",
    "vendor/world-atlas/countries-110m.json",
    "dashboard/country-ids.json",
}


class Urls(HTMLParser):
    """Every URL the page loads or hands its script to load: script and link sources, the map's data attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.map: list[str] = []
        self.other: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts.append(found.get("src") or "")  # an inline script would show as ""
        elif tag == "link" and found.get("href"):
            self.other.append(found["href"] or "")
        self.map += [found[key] or "" for key in ("data-script", "data-topology", "data-codes") if key in found]


@pytest.fixture
def owner(site):
    MembershipFactory(site=site, role="owner", user=UserFactory(username="owner"))
    return User.objects.get(username="owner")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/sites/stats.example/", "/sites/stats.example/pages/?path=/blog/x"])
def test_the_page_names_the_maps_files_by_our_static_urls_only(client, owner, url):
    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    urls = Urls()
    urls.feed(page)
    assert urls.scripts == [
        f"{settings.STATIC_URL}vendor/chartjs/chart.umd.min.js",
        f"{settings.STATIC_URL}dashboard/dashboard.js",
    ]
    # The map's plugin and data are not in the page's scripts: dashboard.js loads them when the map shows.
    assert sorted(urls.map) == sorted(f"{settings.STATIC_URL}{name}" for name in MAP_FILES)
    for found in urls.scripts + urls.map + urls.other:
        assert found.startswith(settings.STATIC_URL), found
        assert finders.find(found.removeprefix(settings.STATIC_URL)), found
    assert "https://" not in page
    assert "http://" not in page


def test_the_code_table_is_the_scripts_output_and_names_every_country_on_the_map():
    spec = importlib.util.spec_from_file_location("country_ids", ROOT / "scripts" / "country_ids.py")
    assert spec
    assert spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    table = ROOT / "dashboard" / "static" / "dashboard" / "country-ids.json"
    assert table.read_text() == script.render(), "run scripts/country_ids.py"
    codes = json.loads(table.read_text())
    assert codes["DE"] == "276"
    assert codes["FR"] == "250"
    atlas = ROOT / "dashboard" / "static" / "vendor" / "world-atlas" / "countries-110m.json"
    topology = json.loads(atlas.read_text())
    ids = {shape["id"] for shape in topology["objects"]["countries"]["geometries"] if "id" in shape}
    assert len(ids) > 170
    assert ids <= set(codes.values())


def test_the_vendored_map_files_carry_no_source_map_reference():
    for name in MAP_FILES:
        path = finders.find(name)
        assert path, name
        assert "sourceMappingURL" not in Path(str(path)).read_text(), name
