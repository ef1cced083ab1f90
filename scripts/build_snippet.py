"""Rebuild tracker/static/tracker/script.js from script.src.js and report its gzipped size.

Usage: .venv/bin/python scripts/build_snippet.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker.ingest.snippet import BUILD, GZIP_BUDGET, SOURCE, gzipped_size, minify


def main() -> int:
    before = gzipped_size(BUILD.read_text()) if BUILD.exists() else 0
    built = minify(SOURCE.read_text())
    BUILD.write_text(built)
    size = gzipped_size(built)
    print(f"{BUILD.name}: {len(built)} bytes, {size} gzipped (budget {GZIP_BUDGET}, change {size - before:+d})")
    return 0 if size <= GZIP_BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
