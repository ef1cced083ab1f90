"""Shared plumbing for the benchmarks in bench/: the production-like environment, the
throwaway PostgreSQL database, result files and tables.

Every benchmark runs against local services only (PostgreSQL and Redis on 127.0.0.1), in
a database of its own (`footfall_bench`), Redis DB 2 and a stream key of its own, so it
never touches data of a development or test run. Results go to bench/results/<name>.json
(git-ignored).
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import time
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"

BENCH_DATABASE = "footfall_bench"
POSTGRES_SERVER_URL = "postgres://postgres@127.0.0.1:5432"
BENCH_DATABASE_URL = f"{POSTGRES_SERVER_URL}/{BENCH_DATABASE}"
BENCH_REDIS_URL = "redis://127.0.0.1:6379/2"
SETTINGS_MODULE = "analytics_site.settings.production"
BENCH_USERNAME = "bench"
# One throwaway key per benchmark run, shared with the servers it starts.
_SECRET_KEY = secrets.token_urlsafe(50)


def bench_environ(stream: str, database: str = BENCH_DATABASE, **overrides: str) -> dict[str, str]:
    """Return the environment of a production-like Footfall process for a benchmark.

    The production settings module, with plain http allowed (no TLS in front of a local
    benchmark), the bench database (`footfall_bench` unless named), Redis DB 2 and the
    given stream key.
    """
    values = {
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "SECRET_KEY": _SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"{POSTGRES_SERVER_URL}/{database}",
        "REDIS_URL": BENCH_REDIS_URL,
        "CELERY_BROKER_URL": BENCH_REDIS_URL,
        "BUFFER_STREAM": stream,
        "INGEST_RATE_LIMIT_PER_MINUTE": "0",
        "LOG_LEVEL": "WARNING",
    }
    values.update(overrides)
    return values


def apply_environ(values: Mapping[str, str]) -> None:
    """Put the values into this process's environment, replacing what was there."""
    os.environ.update(values)


def ensure_database(name: str = BENCH_DATABASE) -> None:
    """Create the bench database if it does not exist yet (migrations run in setup_django)."""
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER_URL}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    """Drop a bench database (never call this with a database that is not a benchmark's own)."""
    import psycopg

    if not name.startswith("footfall_bench"):
        raise ValueError(f"refusing to drop {name!r}: not a bench database")
    with psycopg.connect(f"{POSTGRES_SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(stream: str, database: str = BENCH_DATABASE, **overrides: str) -> None:
    """Configure the environment, create and migrate the bench database, and set Django up."""
    apply_environ(bench_environ(stream, database, **overrides))
    ensure_database(database)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def ensure_site(domain: str) -> int:
    """Return the id of the bench site for this domain, creating the bench user and the site."""
    from django.contrib.auth.models import User

    from sites.models import Site, normalise_domain
    from sites.services import site_create

    existing = Site.objects.filter(domain=normalise_domain(domain)).values_list("id", flat=True).first()
    if existing is not None:
        return existing
    user, _ = User.objects.get_or_create(username=BENCH_USERNAME)
    return site_create(owner=user, domain=domain).id


def delete_stream(stream: str) -> None:
    """Delete the bench stream and its partitions (and with them their consumer groups) from Redis DB 2."""
    import redis

    client = redis.Redis.from_url(BENCH_REDIS_URL)
    try:
        client.delete(stream, *client.scan_iter(match=f"{stream}:p*"))
    finally:
        client.close()


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return ""
    return out.stdout.strip()


def git_dirty() -> bool | None:
    """Whether the product code differs from the commit (the figures are then of the work tree)."""
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--", "tracker", "analytics_site", "dashboard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return None
    return bool(out.stdout.strip()) if out.returncode == 0 else None


def machine_info() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "commit": git_commit(),
        "uncommitted_changes": git_dirty(),
    }


def write_result(name: str, data: Mapping[str, Any]) -> Path:
    """Write bench/results/<name>.json and return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    document = {
        "benchmark": name,
        "finished": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        **data,
    }
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    return path


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a plain fixed-width table; numbers right-aligned, text left-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) if cells else len(h) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], int | float) for row in rows) if rows else False for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return "  ".join(parts).rstrip()

    print(line(list(headers)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def relative_to_root(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    command: Sequence[str], port: int, environ: Mapping[str, str], *, seconds: float = 60
) -> subprocess.Popen[bytes]:
    """Start a web server of the project; return it once its login page answers on 127.0.0.1:`port`."""
    server = subprocess.Popen(
        list(command), cwd=ROOT, env=dict(environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"{command[0]} did not start on port {port}")
