"""Write dashboard/static/dashboard/country-ids.json: ISO 3166-1 alpha-2 code -> numeric code, from pycountry.

The stats API names countries by alpha-2 code ("DE"); the world map's topology (world-atlas) names its
countries by numeric code ("276"). The dashboard reads this small file, once, beside the topology.

Usage: .venv/bin/python scripts/country_ids.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pycountry

OUTPUT = Path(__file__).resolve().parent.parent / "dashboard" / "static" / "dashboard" / "country-ids.json"


def country_ids() -> dict[str, str]:
    return {country.alpha_2: country.numeric for country in sorted(pycountry.countries, key=lambda c: c.alpha_2)}


def render() -> str:
    # One pair a line: a later pycountry release shows as a readable diff.
    return json.dumps(country_ids(), indent=0, sort_keys=True) + "\n"


def main() -> int:
    text = render()
    OUTPUT.write_text(text)
    print(f"{OUTPUT.name}: {len(country_ids())} countries, {len(text)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
