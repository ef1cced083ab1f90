"""Footfall's version: one number in the package and pyproject.toml, and a CHANGELOG section for it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from analytics_site import __version__

ROOT = Path(__file__).resolve().parents[2]


def test_the_version_is_one_number():
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"] == __version__


def test_the_changelog_has_a_section_for_the_version_and_news_first():
    headings = re.findall(r"^## (\S+)", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert headings[0] in ("Unreleased", __version__)
    assert __version__ in headings
