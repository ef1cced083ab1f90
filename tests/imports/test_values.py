"""Other tools' names as Footfall's pipeline names them."""

from __future__ import annotations

import pytest

from imports import values
from imports.rows import RowError


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Mac", "macOS"),
        ("GNU/Linux", "Linux"),
        ("Windows 10", "Windows"),
        ("Android OS", "Android"),
        ("Haiku", "Haiku"),
    ],
)
def test_systems(name, expected):
    assert values.system(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Microsoft Edge", "Edge"),
        ("edge-chromium", "Edge"),
        ("ios", "Safari"),
        ("crios", "Chrome"),
        ("Chrome", "Chrome"),
    ],
)
def test_browsers(name, expected):
    assert values.browser(name) == expected


def test_devices_sources_and_referrers():
    assert [values.device(name) for name in ("Desktop", "laptop", "Mobile", "(not set)")] == [
        "desktop",
        "desktop",
        "mobile",
        "",
    ]
    assert [values.source(name) for name in ("Direct / None", "(direct)", "google", "fb")] == [
        "",
        "",
        "Google",
        "Facebook",
    ]
    assert values.referrer_domain("https://www.news.ycombinator.com/item?id=1") == "news.ycombinator.com"
    assert values.referrer_domain("t.co") == "t.co"
    assert values.source_of_referrer("www.google.com", "", "blog.example") == "Google"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("DE", "DE"),
        ("de", "DE"),
        ("Germany", "DE"),
        ("South Korea", "KR"),
        ("Côte d\u2019Ivoire", "CI"),
        ("(not set)", ""),
    ],
)
def test_countries(name, code):
    assert values.country(name) == code


def test_an_unknown_country_name_is_a_row_error():
    with pytest.raises(RowError) as error:
        values.country("Atlantis")
    assert error.value.reason == "unknown_country"
