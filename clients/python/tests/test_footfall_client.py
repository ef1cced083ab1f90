"""The client against a scripted Footfall: validation, batching, retries, the queue bound, sync mode."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from conftest import WAIT, Answer, FakeFootfall

from footfall_client import Client, DeliveryError, EventRejected
from footfall_client.client import parse_retry_after

URL = "https://shop.example/pricing"
MakeClient = Callable[..., Client]


@pytest.fixture
def make_client(footfall: FakeFootfall) -> Iterator[MakeClient]:
    clients: list[Client] = []

    def make(**options: object) -> Client:
        options = {"domain": "shop.example", "flush_interval": 60.0, **options}
        client = Client(footfall.url, "ff_test_key", **options)
        clients.append(client)
        return client

    yield make
    footfall.release.set()
    for client in clients:
        client.close(timeout=WAIT)


# --- arguments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"props": {"plan": ["pro"]}}, TypeError, "props['plan'] must be a str, int, float or bool, not list"),
        ({"props": {"plan": None}}, TypeError, "props['plan']"),
        ({"props": {"n": float("nan")}}, ValueError, "finite"),
        ({"props": {f"k{i}": i for i in range(31)}}, ValueError, "at most 30"),
        ({"props": {"": 1}}, ValueError, "property names"),
        ({"url": "/pricing"}, ValueError, "absolute http or https URL"),
        ({"url": "https://shop.example/" + "x" * 2000}, ValueError, "longer than 2000"),
        ({"name": ""}, ValueError, "name must not be empty"),
        ({"name": 42}, TypeError, "name must be a str"),
        ({"ip": "not-an-address"}, ValueError, "IPv4 or IPv6"),
        ({"id": "123"}, ValueError, "id must be a UUID"),
        ({"timestamp": datetime(2030, 1, 1)}, ValueError, "timezone-aware"),
        ({"timestamp": datetime.now(UTC) - timedelta(hours=73)}, ValueError, "72 hours"),
        ({"timestamp": "yesterday"}, TypeError, "aware datetime or Unix seconds"),
        ({"domain": ""}, ValueError, "domain must not be empty"),
    ],
)
def test_track_raises_for_what_footfall_would_reject(make_client, footfall, fields, error, message):
    client = make_client(sync=True)
    arguments = {"name": "Signup", "url": URL, **fields}
    with pytest.raises(error, match=message.replace("[", r"\[").replace("(", r"\(")):
        client.track(arguments.pop("name"), arguments.pop("url"), **arguments)
    assert client.stats.queued == 0
    assert footfall.received == []


def test_client_arguments_are_checked():
    with pytest.raises(ValueError, match="batch_size"):
        Client("https://footfall.example", "key", batch_size=1001)
    with pytest.raises(ValueError, match="base_url"):
        Client("footfall.example", "key")
    with pytest.raises(ValueError, match="api_key"):
        Client("https://footfall.example", " ")


def test_without_any_domain_track_says_where_to_give_one(footfall):
    client = Client(footfall.url, "key", sync=True)
    with pytest.raises(ValueError, match="pass domain= to Client"):
        client.track("pageview", URL)
    client.track("pageview", URL, domain="blog.example")
    assert footfall.events[0]["domain"] == "blog.example"


# --- what is sent --------------------------------------------------------------------------------


def test_an_event_carries_every_field_and_the_key(make_client, footfall):
    client = make_client(sync=True)
    event_id = uuid.uuid4()
    moment = datetime.now(UTC) - timedelta(hours=1)

    returned = client.track(
        "Signup",
        URL,
        referrer="https://news.example/item",
        props={"plan": "pro", "seats": 3, "ratio": 0.5, "trial": True},
        ip="2001:db8:0:0::1",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
        timestamp=moment,
        id=event_id,
    )

    assert returned == str(event_id)
    [request] = footfall.received
    assert request.path == "/api/events"
    assert request.headers["Authorization"] == "Bearer ff_test_key"
    assert request.headers["User-Agent"].startswith("footfall-client/")
    assert request.events[0] == {
        "id": str(event_id),
        "domain": "shop.example",
        "name": "Signup",
        "url": URL,
        "referrer": "https://news.example/item",
        "props": {"plan": "pro", "seats": 3, "ratio": 0.5, "trial": True},
        "ip": "2001:db8::1",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
        "timestamp": moment.isoformat(),
    }


def test_an_event_without_an_id_gets_a_time_ordered_one(make_client, footfall):
    client = make_client(sync=True)
    first = client.track("pageview", URL)
    time.sleep(0.002)  # the next millisecond at least
    second = client.track("pageview", URL)

    assert [event["id"] for event in footfall.events] == [first, second]
    assert (uuid.UUID(second).version, uuid.UUID(second).variant) == (7, uuid.RFC_4122)
    assert first < second  # in time order, as text too


def test_recent_timestamps_go_as_iso_or_unix_seconds(make_client, footfall):
    client = make_client(sync=True)
    moment = datetime.now(UTC) - timedelta(hours=1)
    client.track("pageview", URL, timestamp=moment)
    client.track("pageview", URL, timestamp=moment.timestamp())
    assert [event["timestamp"] for event in footfall.events] == [moment.isoformat(), moment.timestamp()]


def test_per_call_domain_overrides_the_default(make_client, footfall):
    client = make_client(sync=True)
    client.pageview(URL)
    client.pageview("https://blog.example/", domain="blog.example")
    assert [event["domain"] for event in footfall.events] == ["shop.example", "blog.example"]
    assert [event["name"] for event in footfall.events] == ["pageview", "pageview"]


# --- batching --------------------------------------------------------------------------------------


def test_a_full_batch_is_sent_without_waiting_for_the_interval(make_client, footfall):
    client = make_client(batch_size=10)
    ids = [client.pageview(URL) for _ in range(10)]
    assert footfall.wait_for(1)
    assert footfall.received[0].ids == ids


def test_events_go_after_the_flush_interval(make_client, footfall):
    client = make_client(flush_interval=0.05)
    event_id = client.pageview(URL)
    assert footfall.wait_for(1)
    assert footfall.received[0].ids == [event_id]


def test_flush_sends_in_batches_of_at_most_batch_size(make_client, footfall):
    client = make_client(batch_size=1000)
    ids = [client.track("Click", URL, props={"n": n}) for n in range(2500)]
    assert client.flush(WAIT)
    assert [len(request.events) for request in footfall.received] == [1000, 1000, 500]
    assert [i for request in footfall.received for i in request.ids] == ids
    assert (client.stats.accepted, client.stats.queued) == (2500, 0)


def test_batches_are_split_to_fit_the_body_limit(make_client, footfall):
    client = make_client(batch_size=10, max_body_bytes=65536)
    big = {f"k{i}": "v" * 1500 for i in range(30)}  # about 45 KB of JSON: one per request
    ids = [client.track("Big", URL, props=big) for _ in range(3)]
    assert client.flush(WAIT)
    assert [request.ids for request in footfall.received] == [[i] for i in ids]


# --- retries ---------------------------------------------------------------------------------------


def test_retry_after_is_honoured_and_retries_carry_the_same_ids(make_client, footfall):
    footfall.script(
        Answer(503, {"Retry-After": "1"}, {"error": {"code": "buffer_unavailable"}}),
        Answer(429, {"Retry-After": "1"}, {"error": {"code": "rate_limited"}}),
    )
    client = make_client()
    ids = [client.pageview(URL) for _ in range(3)]
    started = time.monotonic()
    assert client.flush(WAIT)
    assert time.monotonic() - started >= 2.0
    assert [request.ids for request in footfall.received] == [ids, ids, ids]
    stats = client.stats
    assert (stats.accepted, stats.retries, stats.failed) == (3, 2, 0)


def test_retry_after_as_an_http_date():
    now = time.time()
    later = format_datetime(datetime.fromtimestamp(now + 30, tz=UTC), usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_long_retry_after_is_capped_by_max_retry_wait(make_client, footfall):
    footfall.script(Answer(503, {"Retry-After": "3600"}))
    client = make_client(max_retry_wait=0.05)
    client.pageview(URL)
    assert client.flush(WAIT)
    assert (len(footfall.received), client.stats.accepted) == (2, 1)


def test_server_errors_and_lost_connections_are_retried_with_backoff(make_client, footfall):
    footfall.script(Answer(500), Answer(drop=True), Answer(502))
    client = make_client(retry_backoff=0.01)
    event_id = client.pageview(URL)
    assert client.flush(WAIT)
    assert [request.ids for request in footfall.received] == [[event_id]] * 4
    assert (client.stats.accepted, client.stats.retries) == (1, 3)


def test_sending_gives_up_after_max_retries(make_client, footfall, caplog):
    footfall.script(*[Answer(503, {"Retry-After": "0"})] * 3)
    client = make_client(max_retries=2)
    client.pageview(URL)
    assert client.flush(WAIT)
    assert len(footfall.received) == 3
    assert (client.stats.failed, client.stats.accepted) == (1, 0)
    assert "gave up after 3 attempts (HTTP 503)" in caplog.text


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_not_retried(make_client, footfall, status):
    footfall.script(Answer(status, body={"error": {"code": "invalid_api_key", "message": "The API key is not valid."}}))
    client = make_client()
    client.pageview(URL)
    assert client.flush(WAIT)
    assert len(footfall.received) == 1
    assert client.stats.failed == 1


def test_rejected_events_are_counted_and_not_retried(make_client, footfall, caplog):
    rejection = {"index": 1, "code": "unknown_site", "message": "No site is registered.", "field": "domain"}
    footfall.script(Answer(202, body={"accepted": 2, "rejected": [rejection]}))
    client = make_client()
    ids = [client.pageview(URL) for _ in range(3)]
    assert client.flush(WAIT)
    assert len(footfall.received) == 1
    assert (client.stats.accepted, client.stats.rejected) == (2, 1)
    assert f"rejected event {ids[1]}" in caplog.text


def test_a_413_halves_the_batch(make_client, footfall):
    footfall.script(Answer(413, body={"error": {"code": "payload_too_large"}}))
    client = make_client()
    ids = [client.pageview(URL) for _ in range(4)]
    assert client.flush(WAIT)
    assert [request.ids for request in footfall.received] == [ids, ids[:2], ids[2:]]
    assert client.stats.accepted == 4


# --- the queue and shutdown -----------------------------------------------------------------------


def test_a_full_queue_drops_new_events_and_counts_them(make_client, footfall, caplog):
    footfall.script(Answer(hold=True))
    client = make_client(batch_size=1, max_queue_size=3)
    first = client.pageview(URL)
    assert footfall.wait_for(1)  # the sender now waits on the held request; the queue is empty
    with caplog.at_level(logging.WARNING, logger="footfall_client"):
        kept = [client.pageview(URL) for _ in range(3)]
        lost = [client.pageview(URL) for _ in range(2)]
    assert (client.stats.dropped, client.stats.queued) == (2, 4)
    assert caplog.text.count("queue is full") == 1
    footfall.release.set()
    assert client.flush(WAIT)
    sent = [i for request in footfall.received for i in request.ids]
    assert sent == [first, *kept]
    assert not set(lost) & set(sent)
    assert client.stats.accepted == 4


def test_flush_returns_false_when_time_runs_out(make_client, footfall):
    footfall.script(Answer(hold=True))
    client = make_client()
    client.pageview(URL)
    assert client.flush(0.1) is False
    footfall.release.set()
    assert client.flush(WAIT) is True


def test_close_sends_what_is_queued_then_refuses_events(make_client, footfall):
    client = make_client(batch_size=100)
    ids = [client.pageview(URL) for _ in range(5)]
    client.close()
    assert [request.ids for request in footfall.received] == [ids]
    with pytest.raises(RuntimeError, match="closed"):
        client.pageview(URL)


def test_close_gives_up_when_footfall_does_not_answer(make_client, footfall, caplog):
    footfall.script(Answer(hold=True))
    client = make_client(batch_size=1, timeout=5.0)
    for _ in range(3):
        client.pageview(URL)
    assert footfall.wait_for(1)
    started = time.monotonic()
    client.close(timeout=0.1)
    assert time.monotonic() - started < WAIT
    # The two still queued are given up; the held one is still in flight (its timeout is longer).
    assert (client.stats.failed, client.stats.queued) == (2, 1)
    assert "stopped with 2 events unsent" in caplog.text


def test_the_context_manager_closes(footfall):
    with Client(footfall.url, "key", domain="shop.example", flush_interval=60) as client:
        event_id = client.pageview(URL)
    assert footfall.received[0].ids == [event_id]


# --- sync mode -------------------------------------------------------------------------------------


def test_sync_mode_sends_before_returning(make_client, footfall):
    client = make_client(sync=True)
    event_id = client.pageview(URL)
    assert footfall.received[0].ids == [event_id]
    assert client.stats.accepted == 1


def test_sync_mode_raises_when_the_event_is_rejected(make_client, footfall):
    rejection = {"index": 0, "code": "unknown_site", "message": "No site is registered.", "field": "domain"}
    footfall.script(Answer(400, body={"accepted": 0, "rejected": [rejection], "error": rejection}))
    client = make_client(sync=True)
    with pytest.raises(EventRejected) as raised:
        client.pageview(URL)
    assert (raised.value.code, raised.value.field) == ("unknown_site", "domain")
    assert client.stats.rejected == 1


def test_sync_mode_retries_then_raises_delivery_error(make_client, footfall):
    footfall.script(Answer(503, {"Retry-After": "0"}), Answer(401, body={"error": {"code": "invalid_api_key"}}))
    client = make_client(sync=True)
    with pytest.raises(DeliveryError) as raised:
        client.pageview(URL)
    assert (raised.value.status, raised.value.code) == (401, "invalid_api_key")
    assert len(footfall.received) == 2


FORKING_SCRIPT = """
import os, sys
from footfall_client import Client

client = Client(sys.argv[1], "key", domain="shop.example", flush_interval=3600)
client.pageview("https://shop.example/parent/1")
client.pageview("https://shop.example/parent/2")
pid = os.fork()
if pid == 0:
    client.pageview("https://shop.example/child")
    os._exit(0 if client.flush(10) and client.stats.accepted == 1 else 1)
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 0
assert client.flush(10) and client.stats.accepted == 2
"""


def test_a_forked_child_sends_only_its_own_events(footfall):
    done = subprocess.run(
        [sys.executable, "-c", FORKING_SCRIPT, footfall.url], capture_output=True, text=True, timeout=WAIT, check=False
    )
    assert done.returncode == 0, done.stderr
    urls = sorted(str(event["url"]) for event in footfall.events)
    assert urls == ["https://shop.example/child", "https://shop.example/parent/1", "https://shop.example/parent/2"]
