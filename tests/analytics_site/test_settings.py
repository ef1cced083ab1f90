"""Production settings pass Django's deployment checks, and collect the static files whitenoise serves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    """Run manage.py with the production settings."""
    # The browser tests' relaxation of async safety is theirs, not a deployment's.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "analytics_site.settings.production",
        "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-for-the-check",
        "ALLOWED_HOSTS": "stats.example.com",
        "PUBLIC_URL": "https://stats.example.com",
        **environ,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_collectstatic_with_production_storage(tmp_path):
    """The manifest storage refuses a file that references a missing one (a vendored sourcemap, say)."""
    result = manage("collectstatic", "--noinput", STATIC_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    names = (
        "vendor/chartjs/chart.umd.min.js",
        "vendor/chartjs-chart-geo/index.umd.min.js",
        "vendor/world-atlas/countries-110m.json",
        "dashboard/country-ids.json",
        "dashboard/dashboard.js",
        "tracker/script.js",
    )
    for name in names:
        assert f'"{name}"' in manifest


def test_embedded_data_files_are_private(tmp_path):
    """The SQLite file holds sessions, password hashes and today's salts: no one but its owner reads it."""
    database = tmp_path / "var" / "footfall.sqlite3"
    result = manage("migrate", "--noinput", DATABASE_URL=f"sqlite:///{database}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert database.stat().st_mode & 0o777 == 0o600
    database.chmod(0o644)  # as an older release left it
    assert manage("check", DATABASE_URL=f"sqlite:///{database}").returncode == 0
    assert database.stat().st_mode & 0o777 == 0o600
    for side in database.parent.glob("footfall.sqlite3-*"):
        assert side.stat().st_mode & 0o077 == 0, side


def test_an_unknown_registration_mode_stops_the_start():
    result = manage("check", REGISTRATION="sometimes")
    assert result.returncode != 0
    assert "REGISTRATION must be closed, invite or open" in result.stderr


def test_an_unknown_archive_format_stops_the_start():
    result = manage("check", ARCHIVE_FORMAT="avro")
    assert result.returncode != 0
    assert "ARCHIVE_FORMAT must be json or parquet" in result.stderr
