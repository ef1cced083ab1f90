"""A real Celery worker (with embedded beat) in a child process, for the production-stack tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
# The worker's PostgreSQL connections carry this name, so a test can find (and terminate) them.
WORKER_APPLICATION_NAME = "footfall-test-worker"


def database_url(application_name: str = "") -> str:
    """The URL of the test database pytest-django created, for the worker to share."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"{url}?application_name={application_name}" if application_name else url


class ChildProcess:
    """A server the tests run as a child process, its output in `log_path`."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def spawn(self, args: list[str], **popen: Any) -> None:
        # A process group of its own: a Celery worker forks its embedded beat, which must die with it.
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **popen)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the process and its children: no cleanup, no acknowledgement, exactly like a crash."""
        assert self.process is not None
        self._kill_group()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.running:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        self._kill_group()  # whatever outlived a clean shutdown
        self.process.wait(timeout=10)

    def _kill_group(self) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
            os.killpg(self.process.pid, signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class WorkerProcess(ChildProcess):
    def __init__(
        self,
        *,
        redis_url: str,
        stream: str,
        workdir: Path,
        claim_idle_ms: int = 2000,
        broker_url: str | None = None,
        name: str = "worker",
        beat: bool = True,
    ) -> None:
        """`name` tells several workers of one test apart (their logs, Celery node names); one of them runs beat."""
        super().__init__(workdir / f"{name}.log")
        self.workdir = workdir
        self.name = name
        self.beat = beat
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "analytics_site.settings.base",
            "DATABASE_URL": database_url(WORKER_APPLICATION_NAME),
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": broker_url or os.environ.get("CELERY_BROKER_URL", redis_url),
            "BUFFER_STREAM": stream,
            "BUFFER_CLAIM_IDLE_MS": str(claim_idle_ms),
            "BUFFER_DRAIN_SECONDS": "2",
            # A worker stops between two waits, for events and for tasks: short waits stop it in about
            # a second instead of ten.
            "BUFFER_BLOCK_SECONDS": "0.5",
            "BROKER_POLL_SECONDS": "1",
            "GEOIP_DATABASE": "",
            # Beat archives every few seconds: into the test's folder, not the checkout's var/.
            "ARCHIVE_STORAGE": str(workdir / "archive"),
        }

    def start(self) -> None:
        self.spawn(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "analytics_site",
                "worker",
                *(["--beat", "--schedule", str(self.workdir / f"{self.name}-beat-schedule")] if self.beat else []),
                "--pool=solo",
                "--purge",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                "--hostname",
                f"test-{os.getpid()}-{self.name}@%h",
            ],
            cwd=ROOT,
            env=self.env,
        )

    @property
    def consumer(self) -> str:
        """The worker's name in the stream's consumer group (tracker.buffer.consumer_name)."""
        return f"{socket.gethostname()}:{self.pid}"


def wait_until(condition: Callable[[], bool], *, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
