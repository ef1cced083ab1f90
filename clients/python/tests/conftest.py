"""A scripted stand-in for Footfall's /api/events on 127.0.0.1, and minimal Django settings when the
tests run without a project's own."""

from __future__ import annotations

import json
import os
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

WAIT = 10.0  # seconds any test waits at most for the client to do something


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        return
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(ALLOWED_HOSTS=["testserver"], USE_TZ=True, SECRET_KEY="tests only")
        django.setup()


@dataclass(frozen=True)
class Answer:
    status: int = 202
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, object] | None = None  # None: accept every event
    drop: bool = False  # close the connection without answering
    hold: bool = False  # answer only once FakeFootfall.release is set


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    events: list[dict[str, object]]

    @property
    def ids(self) -> list[str]:
        return [str(event["id"]) for event in self.events]


class FakeFootfall:
    """Answer POSTs with scripted answers (then 202 for all), recording every request."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answers: deque[Answer] = deque()
        self.release = threading.Event()
        self.changed = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    def wait_for(self, count: int, timeout: float = WAIT) -> bool:
        """Return True once `count` requests have arrived, False after `timeout` seconds."""
        with self.changed:
            return self.changed.wait_for(lambda: len(self.received) >= count, timeout)

    @property
    def events(self) -> list[dict[str, object]]:
        return [event for request in self.received for event in request.events]

    def _record(self, received: Received) -> Answer:
        with self.changed:
            self.received.append(received)
            self.changed.notify_all()
            return self.answers.popleft() if self.answers else Answer()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                answer = fake._record(Received(self.path, dict(self.headers), body["events"]))
                if answer.hold:
                    fake.release.wait(WAIT)
                if answer.drop:
                    self.close_connection = True
                    return
                payload = answer.body if answer.body is not None else {"accepted": len(body["events"]), "rejected": []}
                data = json.dumps(payload).encode()
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up on this request, as some tests want it to

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def footfall() -> Iterator[FakeFootfall]:
    fake = FakeFootfall()
    fake.thread.start()
    yield fake
    fake.release.set()
    fake.server.shutdown()
    fake.server.server_close()
