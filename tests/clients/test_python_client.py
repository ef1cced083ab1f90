"""footfall_client against a live Footfall: batches, retries on 429 and 503, idempotency when a
response is lost, flushing at close and at exit, and a Django site using the middleware, served in
a subprocess and visited over HTTP, with the events read back from Footfall's tables."""

from __future__ import annotations

import json
import logging
import select
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db.models import Sum

from footfall_client import Client, EventRejected
from sites.keys import api_key_create
from tests.factories import MembershipFactory, SiteFactory, UserFactory
from tracker.models import Event, Session

WAIT = 30.0  # seconds a test waits at most for the client or the site
ROOT = Path(__file__).resolve().parents[2]
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36"


@dataclass
class Footfall:
    url: str
    key: str
    site_id: int

    def events(self) -> list[Event]:
        return list(Event.objects.filter(site_id=self.site_id).order_by("timestamp", "id"))


@pytest.fixture
def footfall(live_server, transactional_db) -> Footfall:
    """A live Footfall with the site shop.example and a key that may write its events."""
    user = UserFactory()
    site = SiteFactory(domain="shop.example")
    MembershipFactory(user=user, site=site)
    _, key = api_key_create(user=user, name="python client", scopes=["events:write"], sites=[site])
    return Footfall(url=f"http://127.0.0.1:{live_server.thread.port}", key=key, site_id=site.id)


@pytest.fixture
def clients() -> Iterator[list[Client]]:
    """Clients a test makes, closed at its end."""
    made: list[Client] = []
    yield made
    for client in made:
        client.close(timeout=WAIT)


def client_for(url: str, footfall: Footfall, clients: list[Client], **options) -> Client:
    client = Client(url, footfall.key, domain="shop.example", flush_interval=60.0, **options)
    clients.append(client)
    return client


@dataclass
class Forwarded:
    ids: list[str]
    status: int | None  # None: the answer was dropped


@dataclass
class Proxy:
    """Forward POSTs to Footfall, recording each; drop the first `drop_answers` answers after
    Footfall has handled the request, as a network that fails on the way back would."""

    target: str
    drop_answers: int = 0
    forwarded: list[Forwarded] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def forward(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.target + path, data=body, headers=headers, method="POST")  # noqa: S310 (the live server)
        try:
            with urllib.request.urlopen(request, timeout=WAIT) as response:  # noqa: S310
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, dict(error.headers), error.read()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                wanted = ("Authorization", "Content-Type", "User-Agent")
                status, headers, answer = proxy.forward(self.path, {h: self.headers[h] for h in wanted}, body)
                ids = [event["id"] for event in json.loads(body)["events"]]
                if len(proxy.forwarded) < proxy.drop_answers:
                    proxy.forwarded.append(Forwarded(ids, None))
                    self.close_connection = True
                    return
                proxy.forwarded.append(Forwarded(ids, status))
                self.send_response(status)
                for name in ("Content-Type", "Retry-After"):
                    if name in headers:
                        self.send_header(name, headers[name])
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def proxy(footfall: Footfall) -> Iterator[Proxy]:
    proxy = Proxy(footfall.url)
    proxy.server = ThreadingHTTPServer(("127.0.0.1", 0), proxy.handler())
    thread = threading.Thread(target=proxy.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield proxy
    proxy.server.shutdown()
    proxy.server.server_close()


# --- the client --------------------------------------------------------------------------------


def test_batches_of_up_to_1000_are_stored_once_each(footfall, proxy, clients):
    client = client_for(proxy.url, footfall, clients, batch_size=1000)
    ids = [client.pageview(f"https://shop.example/p/{n}", ip="203.0.113.9", user_agent=FIREFOX) for n in range(2500)]

    assert client.flush(WAIT)

    assert [len(request.ids) for request in proxy.forwarded] == [1000, 1000, 500]
    assert {str(event.uuid) for event in footfall.events()} == set(ids)
    assert Event.objects.filter(site_id=footfall.site_id).count() == 2500
    assert client.stats.accepted == 2500


def test_every_field_reaches_footfall(footfall, clients, geoip_db):
    client = client_for(footfall.url, footfall, clients, sync=True)
    moment = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    event_id = uuid.uuid4()

    client.track(
        "Signup",
        "https://shop.example/signup?utm_source=newsletter",
        referrer="https://news.example/item/1",
        props={"plan": "pro", "seats": 3, "trial": True},
        ip="203.0.113.9",
        user_agent=FIREFOX,
        timestamp=moment,
        id=event_id,
    )

    [event] = footfall.events()  # sync mode: stored before track() returned
    assert (event.uuid, event.name, event.path, event.timestamp) == (event_id, "Signup", "/signup", moment)
    assert event.props == {"plan": "pro", "seats": 3, "trial": True}
    assert (event.referrer, event.utm_source) == ("news.example", "newsletter")
    assert (event.country, event.browser) == ("DE", "Firefox")


def test_sync_mode_raises_for_a_site_the_key_does_not_cover(footfall, clients):
    client = client_for(footfall.url, footfall, clients, sync=True)
    with pytest.raises(EventRejected) as raised:
        client.pageview("https://other.example/", domain="other.example")
    assert (raised.value.code, raised.value.field) == ("unknown_site", "domain")
    assert footfall.events() == []


class RetryWatcher(logging.Handler):
    """Set `seen` when the client logs that it will retry after the given answer."""

    def __init__(self, answer: str) -> None:
        super().__init__()
        self.answer = answer
        self.seen = threading.Event()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if self.answer in message:
            self.messages.append(message)
            self.seen.set()


@pytest.fixture
def watch_retries() -> Iterator[Callable[[str], RetryWatcher]]:
    logger = logging.getLogger("footfall_client")
    watchers: list[RetryWatcher] = []

    def watch(answer: str) -> RetryWatcher:
        watcher = RetryWatcher(answer)
        logger.addHandler(watcher)
        watchers.append(watcher)
        return watcher

    yield watch
    for watcher in watchers:
        logger.removeHandler(watcher)


def test_a_429_is_retried_until_footfall_takes_the_events(footfall, clients, settings, watch_retries):
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 1
    watcher = watch_retries("HTTP 429 rate_limited")
    # One event per request: of three requests within a minute at least one is over the limit,
    # even if the minute turns between two of them. The cap keeps the test from waiting a minute.
    client = client_for(footfall.url, footfall, clients, batch_size=1, max_retry_wait=0.2, max_retries=100)
    ids = [client.pageview(f"https://shop.example/{n}") for n in range(3)]

    assert watcher.seen.wait(WAIT)
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0
    assert client.flush(WAIT)

    assert sorted(str(event.uuid) for event in footfall.events()) == sorted(ids)
    assert client.stats.retries >= 1
    assert (client.stats.accepted, client.stats.failed) == (3, 0)
    assert "Retry-After" in watcher.messages[0]
    assert "Retry-After none" not in watcher.messages[0]


def test_a_503_is_retried_after_retry_after_and_stored_once(footfall, clients, monkeypatch, watch_retries):
    from tracker import buffer

    real_push = buffer.push
    refusals = [1, 1]  # Footfall's buffer refuses twice, asking for a one-second wait each time

    def flaky_push(hits):
        if refusals:
            refusals.pop()
            error = buffer.BufferUnavailable("The buffer is down.")
            error.retry_after = 1
            raise error
        real_push(hits)

    monkeypatch.setattr(buffer, "push", flaky_push)
    watcher = watch_retries("HTTP 503 buffer_unavailable")
    client = client_for(footfall.url, footfall, clients)
    ids = [client.pageview(f"https://shop.example/{n}", ip="203.0.113.9", user_agent=FIREFOX) for n in range(5)]

    started = time.monotonic()
    assert client.flush(WAIT)

    assert time.monotonic() - started >= 2.0
    assert len(watcher.messages) == 2
    assert all("Retry-After 1 s); retrying in 1.0 s" in message for message in watcher.messages)
    assert sorted(str(event.uuid) for event in footfall.events()) == sorted(ids)
    assert (client.stats.accepted, client.stats.retries) == (5, 2)


def test_events_whose_answer_was_lost_are_not_counted_twice(footfall, proxy, clients):
    proxy.drop_answers = 1
    client = client_for(proxy.url, footfall, clients, retry_backoff=0.01)
    ids = [client.pageview(f"https://shop.example/{n}", ip="203.0.113.9", user_agent=FIREFOX) for n in range(10)]

    assert client.flush(WAIT)

    assert [(request.ids, request.status) for request in proxy.forwarded] == [(ids, None), (ids, 202)]
    assert sorted(str(event.uuid) for event in footfall.events()) == sorted(ids)
    sessions = Session.objects.filter(site_id=footfall.site_id)
    assert sessions.aggregate(pageviews=Sum("pageviews"))["pageviews"] == 10
    assert (client.stats.accepted, client.stats.retries) == (10, 1)


def test_close_sends_what_is_queued(footfall, clients):
    client = client_for(footfall.url, footfall, clients, batch_size=1000)
    ids = [client.pageview(f"https://shop.example/{n}") for n in range(20)]
    client.close(timeout=WAIT)
    assert sorted(str(event.uuid) for event in footfall.events()) == sorted(ids)


EXITING_SCRIPT = """
import sys
from footfall_client import Client

client = Client(sys.argv[1], sys.argv[2], domain="shop.example", flush_interval=3600, batch_size=1000)
for n in range(5):
    client.pageview(f"https://shop.example/exit/{n}")
# No flush() and no close(): the interpreter's exit sends the events.
"""


def test_events_are_sent_when_the_interpreter_exits(footfall):
    done = subprocess.run(
        [sys.executable, "-c", EXITING_SCRIPT, footfall.url, footfall.key],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(event.path for event in footfall.events()) == [f"/exit/{n}" for n in range(5)]


# --- a Django site using the middleware ---------------------------------------------------------


@pytest.fixture
def shop(footfall: Footfall, tmp_path: Path) -> Iterator[str]:
    """Serve tests/clients/site_settings.py in a subprocess; return its address."""
    log = (tmp_path / "site.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.clients.serve_site"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "FOOTFALL_URL": footfall.url, "FOOTFALL_API_KEY": footfall.key},
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], WAIT)
        port = process.stdout.readline().strip() if ready else ""
        assert port.isdigit(), f"the site did not start: {(tmp_path / 'site.log').read_text()}"
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(WAIT)
        log.close()


def visit(url: str, user_agent: str, *, data: bytes | None = None, **headers: str) -> int:
    request = urllib.request.Request(url, data=data, headers={"User-Agent": user_agent, **headers})  # noqa: S310 (the test site)
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def test_a_django_site_without_javascript_is_counted(footfall, shop, geoip_db):
    forwarded = {"X-Forwarded-For": "203.0.113.5"}  # the site's proxy (PROXY_DEPTH 1) saw this visitor
    assert visit(f"{shop}/", FIREFOX, Referer="https://news.example/item/1", **forwarded) == 200
    assert visit(f"{shop}/pricing/?utm_source=newsletter", CHROME, **forwarded) == 200
    assert visit(f"{shop}/signup/", CHROME, data=b"plan=pro", **forwarded) == 200
    # Not page views: JSON, excluded paths, a 404.
    for path in ("/api/status", "/static/site.css", "/admin/", "/healthz"):
        assert visit(f"{shop}{path}", CHROME) == 200
    assert visit(f"{shop}/missing", CHROME) == 404
    # Bots: the middleware sends their page views; Footfall's pipeline drops them.
    assert visit(f"{shop}/", "curl/8.5.0") == 200
    assert visit(f"{shop}/pricing/", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)") == 200

    with urllib.request.urlopen(f"{shop}/flush/", timeout=WAIT) as response:  # noqa: S310 (the test site)
        stats = json.load(response)

    assert stats["flushed"] is True
    assert (stats["accepted"], stats["rejected"], stats["failed"], stats["dropped"]) == (5, 0, 0, 0)
    events = footfall.events()
    assert [(e.name, e.path, e.browser, e.country) for e in events] == [
        ("pageview", "/", "Firefox", "DE"),
        ("pageview", "/pricing/", "Chrome", "DE"),
        ("Signup", "/signup/", "Chrome", "DE"),
    ]
    assert (events[0].referrer, events[1].utm_source) == ("news.example", "newsletter")
    assert events[2].props == {"plan": "pro"}
