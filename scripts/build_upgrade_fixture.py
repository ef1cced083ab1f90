"""Build the upgrade test's fixture: a database made and filled by a former version of Footfall.

The former version (a git ref: by default the latest tag `v*`) is checked out into a temporary git
worktree and run from there, with this checkout's virtualenv, against a new SQLite database:
migrate, an owner, a site, a stats:read API key, a share link, a week of synthetic traffic
(deterministic: a fixed seed and end) through its pipeline, rollups. Then it asks its own REST API
the questions in QUESTIONS and records the answers. Written to tests/ops/upgrade/:

    <version>.sqlite3   the database
    <version>.json      the version, the ref's commit, the key's secret, the share token, counts,
                        and each question with the answer the former version gave

tests/ops/test_upgrade.py migrates a copy of the newest fixture with the current code and asks
the same questions: the answers, the events, the key and the link must be the same.

Run
    .venv/bin/python scripts/build_upgrade_fixture.py            # the latest v* tag
    .venv/bin/python scripts/build_upgrade_fixture.py --ref main # any commit, before there are tags
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests" / "ops" / "upgrade"
SITE = "upgrade.example"
END = "2026-11-30T12:00:00+00:00"
# The fixture's own, in the open: the upgrade test runs with it too (keys derived from it must match).
SECRET_KEY = "upgrade-fixture-secret-key-not-used-anywhere-else-0123456789"  # noqa: S105
# Asked with the key, as ?query strings of /api/v1/stats/...; the answers must not change across an upgrade.
QUESTIONS = [
    f"aggregate?site_id={SITE}&period=custom&date=2026-11-24,2026-11-30"
    "&metrics=visitors,visits,pageviews,bounce_rate,visit_duration,events",
    f"timeseries?site_id={SITE}&period=custom&date=2026-11-24,2026-11-30&metrics=visitors,pageviews",
    f"breakdown?site_id={SITE}&period=custom&date=2026-11-24,2026-11-30&property=event:page&limit=20",
    f"breakdown?site_id={SITE}&period=custom&date=2026-11-24,2026-11-30&property=visit:source",
    f"breakdown?site_id={SITE}&period=custom&date=2026-11-24,2026-11-30&property=visit:country",
]

# Run in the former version's checkout: fill the database, ask the questions, print the record.
FILL = """
import json, sys
import django
django.setup()
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from sites.keys import api_key_create
from sites.models import ShareLink
from sites.services import site_create
from tracker.models import Event, Rollup, Session

site_arg, end, questions = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
call_command("migrate", verbosity=0)
owner = User.objects.create_user("owner", password="former version owner")
site = site_create(owner=owner, domain=site_arg)
_, secret = api_key_create(user=owner, name="upgrade", scopes=["stats:read"])
link = ShareLink.objects.create(site=site, token="u" * 32)
call_command("generate_traffic", site=site_arg, days=7, visitors=150, seed=7, end=end, verbosity=0)
call_command("rollup", verbosity=0)
client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
answers = {}
for question in questions:
    response = client.get("/api/v1/stats/" + question)
    assert response.status_code == 200, (question, response.content)
    answers[question] = response.json()
print(json.dumps({
    "secret": secret,
    "share_token": link.token,
    "events": Event.objects.count(),
    "sessions": Session.objects.count(),
    "rollups": Rollup.objects.count(),
    "answers": answers,
}))
"""


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def latest_tag() -> str:
    tags = git("tag", "--list", "v*", "--sort=-version:refname").splitlines()
    if not tags:
        raise SystemExit("no v* tag yet: name a commit with --ref")
    return tags[0]


def version_at(worktree: Path) -> str:
    """The checkout's version: analytics_site.__version__, or before that existed pyproject.toml's."""
    for line in (worktree / "analytics_site" / "__init__.py").read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    return str(tomllib.loads((worktree / "pyproject.toml").read_text())["project"]["version"])


def build(ref: str) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="footfall-upgrade-") as tmp:
        worktree = Path(tmp) / "former"
        git("worktree", "add", "--detach", str(worktree), ref)
        try:
            version, commit = version_at(worktree), git("rev-parse", "--short", "HEAD", cwd=worktree)
            database = Path(tmp) / "upgrade.sqlite3"
            environ = {
                **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")},
                "DJANGO_SETTINGS_MODULE": "analytics_site.settings.base",
                "DATABASE_URL": f"sqlite:///{database}",
                "SECRET_KEY": SECRET_KEY,
                "ALLOWED_HOSTS": "testserver",
                "API_RATE_LIMIT_PER_MINUTE": "0",
                "ARCHIVE_STORAGE": str(Path(tmp) / "archive"),
                "GEOIP_DATABASE": "",
                "LOG_LEVEL": "WARNING",
            }
            result = subprocess.run(
                [sys.executable, "-c", FILL, SITE, END, json.dumps(QUESTIONS)],
                cwd=worktree,
                env=environ,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise SystemExit(result.stderr)
            filled = json.loads(result.stdout.splitlines()[-1])
            record = {"version": version, "ref": ref, "commit": commit, "secret_key": SECRET_KEY, **filled}
            with contextlib.closing(sqlite3.connect(database)) as compact:
                compact.execute("VACUUM")
            (OUTPUT / f"{version}.sqlite3").write_bytes(database.read_bytes())
            (OUTPUT / f"{version}.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        finally:
            git("worktree", "remove", "--force", str(worktree))
    return OUTPUT / f"{version}.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ref", help="the former version: a tag or commit (default: the latest v* tag)")
    args = parser.parse_args()
    written = build(args.ref or latest_tag())
    print(f"wrote {written.relative_to(ROOT)} and its database")
    return 0


if __name__ == "__main__":
    sys.exit(main())
