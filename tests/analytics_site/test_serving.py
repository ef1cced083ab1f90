"""`make run`'s server: gunicorn with the local settings, DEBUG off, static files through whitenoise,
error pages that show nothing of the code or the environment, JSON errors under /api/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import RequestFactory

from analytics_site import error_pages

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, method: str = "GET") -> tuple[int, str, str]:
    request = urllib.request.Request(url, method=method)  # noqa: S310 (our own server on 127.0.0.1)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[str]:
    """The command `make run` ends with, on a fresh SQLite database of its own."""
    database = tmp_path_factory.mktemp("run") / "footfall.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL")},
        "DJANGO_SETTINGS_MODULE": "analytics_site.settings.local",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    port = _free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "analytics_site.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                _get(base + "/accounts/login/")
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_pages_and_static_files_are_served(served):
    status, _, page = _get(served + "/accounts/login/")
    assert status == 200
    assert 'name="password"' in page
    for path in ("/static/css/footfall.css", "/static/vendor/chartjs/chart.umd.min.js", "/js/script.js"):
        assert _get(served + path)[0] == 200, path


def test_a_missing_page_shows_no_url_patterns(served):
    status, content_type, page = _get(served + "/no/such/page")
    assert status == 404
    assert content_type.startswith("text/html")
    assert "Not found" in page
    assert "URLconf" not in page
    assert "accounts/login" not in page.split("<main>")[1]  # no list of routes


def test_a_missing_api_address_is_a_json_error(served):
    status, content_type, body = _get(served + "/api/v1/no-such-endpoint")
    assert (status, content_type) == (404, "application/json")
    assert '"code": "not_found"' in body


@pytest.mark.django_db
def test_a_refused_host_is_a_json_error_on_the_apis_and_a_page_elsewhere(client):
    api = client.get("/api/v1/stats/aggregate", HTTP_HOST="")
    assert (api.status_code, api["Content-Type"]) == (400, "application/json")
    assert api.json()["error"]["code"] == "bad_request"
    page = client.get("/sites/x.example/", HTTP_HOST="not-allowed.example")
    assert (page.status_code, page["Content-Type"]) == (400, "text/html; charset=utf-8")


def test_the_api_docs_answer_options_with_405(served):
    assert _get(served + "/api/docs/", method="OPTIONS")[0] == 405


def test_server_errors_are_a_page_or_json_without_details():
    factory = RequestFactory()
    page = error_pages.server_error(factory.get("/sites/x.example/"))
    assert page.status_code == 500
    assert b"Something went wrong" in page.content
    api = error_pages.server_error(factory.get("/api/v1/stats/aggregate"))
    assert (api.status_code, api["Content-Type"]) == (500, "application/json")
    assert b'"server_error"' in api.content
