"""The tracking snippet's build, budget and delivery (its behaviour runs in a browser test)."""

from __future__ import annotations

import re

import pytest

from tracker.ingest import snippet


def test_committed_build_matches_the_source():
    """Fails when script.src.js changed without `python scripts/build_snippet.py`."""
    assert snippet.BUILD.read_text() == snippet.minify(snippet.SOURCE.read_text())


def test_build_fits_the_gzip_budget(capsys):
    size = snippet.gzipped_size(snippet.BUILD.read_text())
    with capsys.disabled():
        print(f"\nsnippet: {size} bytes gzipped (budget {snippet.GZIP_BUDGET})")  # noqa: T201 (reported on every run)
    assert size <= snippet.GZIP_BUDGET


def test_source_never_writes_cookies_or_storage():
    source = snippet.SOURCE.read_text()
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.DOTALL)
    assert "cookie" not in code
    assert "setItem" not in code
    assert not re.search(r"localStorage\.\w+\s*=[^=]", code)


def test_script_is_served_with_cache_headers(client):
    response = client.get("/js/script.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response.content == snippet.BUILD.read_bytes()
    assert "max-age=86400" in response["Cache-Control"]
    assert response["ETag"]


def test_revalidation_answers_304(client):
    etag = client.get("/js/script.js")["ETag"]
    response = client.get("/js/script.js", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_only_get_and_head(client, method):
    assert getattr(client, method)("/js/script.js").status_code == 405
