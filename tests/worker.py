"""A real Celery worker (with embedded beat) in a child process, for the production-stack tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the test database pytest-django created, for the worker to share."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    def __init__(self, *, redis_url: str, stream: str, workdir: Path, claim_idle_ms: int = 2000) -> None:
        self.workdir = workdir
        self.log_path = workdir / "worker.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "analytics_site.settings.base",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", redis_url),
            "BUFFER_STREAM": stream,
            "BUFFER_CLAIM_IDLE_MS": str(claim_idle_ms),
            "BUFFER_DRAIN_SECONDS": "2",
            "GEOIP_DATABASE": "",
            # Beat archives every few seconds: into the test's folder, not the checkout's var/.
            "ARCHIVE_STORAGE": str(workdir / "archive"),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "analytics_site",
                "worker",
                "--beat",
                "--pool=solo",
                "--purge",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                "--schedule",
                str(self.workdir / "beat-schedule"),
                "--hostname",
                f"test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no cleanup, no acknowledgement, exactly like a crash."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def wait_until(condition: Callable[[], bool], *, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
