"""A Redis server of the test's own, to hang (SIGSTOP), kill and restart while the stack runs."""

from __future__ import annotations

import shutil
import signal
import socket
from pathlib import Path

import redis

from tests.worker import ChildProcess, wait_until

# Beside Redis's own 6379, so a test never pauses a server it did not start.
PORTS = range(6391, 6400)


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port for a test Redis in {PORTS.start}-{PORTS.stop - 1}")


class RedisServer(ChildProcess):
    """redis-server on a spare port with an fsync-always append-only file.

    The append-only file makes a SIGKILL lose nothing Redis answered, as a production Redis that
    holds accepted events must be configured; a restart on the same folder reloads the stream,
    its consumer group and the pending entries.
    """

    def __init__(self, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        super().__init__(workdir / "redis.log")
        self.workdir = workdir
        self.port = _free_port()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        binary = redis_server_binary()
        assert binary is not None
        self.spawn(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.workdir),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ]
        )
        assert wait_until(self.answers, timeout=10), self.log_tail()

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url(), socket_connect_timeout=0.5, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def pause(self) -> None:
        """SIGSTOP: the kernel still accepts connections, and every command hangs, like an overloaded server."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.running:
            self.resume()  # a stopped process would not act on SIGTERM
        super().stop()
