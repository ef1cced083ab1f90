"""The tracking snippet: its minified build (made from the readable source) and its size budget."""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "static" / "tracker"
SOURCE = STATIC / "script.src.js"
BUILD = STATIC / "script.js"
GZIP_BUDGET = 1500


def minify(source: str) -> str:
    """Return the minified script: comments and spaces gone, local names shortened."""
    # Imported here: only the build and its test need the parser, never a running server.
    from calmjs.parse import es5
    from calmjs.parse.unparsers.es5 import minify_print

    return minify_print(es5(source), obfuscate=True, obfuscate_globals=False) + "\n"


def gzipped_size(text: str) -> int:
    return len(gzip.compress(text.encode(), compresslevel=9, mtime=0))


@lru_cache(maxsize=1)
def served() -> tuple[bytes, str]:
    """Return the committed build and its ETag, read once per process."""
    content = BUILD.read_bytes()
    return content, '"' + hashlib.sha256(content).hexdigest()[:20] + '"'
