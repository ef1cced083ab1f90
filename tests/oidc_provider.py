"""The test OpenID Connect provider in a child process (tests/oidc_provider_site), for single sign-on."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import requests

from tests.worker import ROOT, ChildProcess

CLIENT_ID = "footfall-test-client"
CLIENT_SECRET = "footfall-test-client-secret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OidcProvider(ChildProcess):
    def __init__(self, workdir: Path, redirect_uri: str) -> None:
        super().__init__(workdir / "provider.log")
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}/o"
        env = {**os.environ, "PROVIDER_DATABASE": str(workdir / "provider.sqlite3")}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        args = [sys.executable, "-m", "tests.oidc_provider_site.serve", str(self.port), redirect_uri]
        self.spawn([*args, CLIENT_ID, CLIENT_SECRET], cwd=ROOT, env=env)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"the test provider exited:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the test provider did not start:\n{self.log_tail()}")
