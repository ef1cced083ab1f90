"""The upgrade test: a database made and filled by a former version (tests/ops/upgrade/, built by
scripts/build_upgrade_fixture.py) is migrated by this code, and its events, visits, rollups, API key
and share link are intact and the stats API answers what the former version answered.

The former database is SQLite; the current code runs on a copy of it in a child process, whatever
database the suite itself uses.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "ops" / "upgrade"

# Run with this code against the former database: migrate, then ask the same questions.
CHECK = """
import json, sys
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from sites.models import ApiKey, ShareLink, Site
from tracker.models import Event, Rollup, Session

record = json.loads(sys.argv[1])
call_command("migrate", verbosity=0)
client = Client(HTTP_AUTHORIZATION=f"Bearer {record['secret']}")
answers = {}
for question in record["answers"]:
    response = client.get("/api/v1/stats/" + question)
    answers[question] = response.json() if response.status_code == 200 else response.status_code
print(json.dumps({
    "answers": answers,
    "events": Event.objects.count(),
    "sessions": Session.objects.count(),
    "rollups": Rollup.objects.count(),
    "share_link": Client().get(f"/share/{record['share_token']}/").status_code,
    "sites": list(Site.objects.values_list("domain", flat=True)),
    "keys": ApiKey.objects.count(),
}))
"""


def version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in path.stem.split("."))


def newest_fixture() -> Path:
    return max(FIXTURES.glob("*.json"), key=version_key)


def migrate_and_ask(record: dict, database: Path, tmp_path: Path) -> dict:
    environ = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")},
        "DJANGO_SETTINGS_MODULE": "analytics_site.settings.base",
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": record["secret_key"],
        "ALLOWED_HOSTS": "testserver",
        "API_RATE_LIMIT_PER_MINUTE": "0",
        "ARCHIVE_STORAGE": str(tmp_path / "archive"),
        "GEOIP_DATABASE": "",
        "LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [sys.executable, "-c", CHECK, json.dumps(record)],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_a_former_versions_database_upgrades_with_everything_intact(tmp_path):
    fixture = newest_fixture()
    record = json.loads(fixture.read_text())
    database = tmp_path / "former.sqlite3"
    shutil.copyfile(fixture.with_suffix(".sqlite3"), database)
    after = migrate_and_ask(record, database, tmp_path)
    assert after["answers"] == record["answers"]
    assert (after["events"], after["sessions"], after["rollups"]) == (
        record["events"],
        record["sessions"],
        record["rollups"],
    )
    assert after["sites"] == ["upgrade.example"]
    assert after["keys"] == 1
    assert after["share_link"] == 200


def test_the_fixture_is_of_a_former_or_the_current_version():
    from analytics_site import __version__

    assert version_key(newest_fixture()) <= version_key(Path(f"{__version__}.json"))
