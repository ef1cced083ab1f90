"""FootfallMiddleware and track_event() against a scripted Footfall, on requests from RequestFactory."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from conftest import WAIT, Answer, FakeFootfall
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.test import RequestFactory, override_settings

from footfall_client.django import FootfallMiddleware, get_client, track_event, visitor_ip

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36"
requests = RequestFactory()


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<!doctype html><title>Pricing</title>")


def never(request: HttpRequest, response: HttpResponseBase) -> bool:
    return False


@pytest.fixture
def configure(footfall: FakeFootfall) -> Iterator[Any]:
    """Return a function that sets FOOTFALL (Footfall's address, a key, a domain, and `extra`)."""
    overrides: list[override_settings] = []

    def apply(**extra: object) -> None:
        override = override_settings(
            FOOTFALL={"URL": footfall.url, "API_KEY": "ff_test_key", "DOMAIN": "shop.example", **extra}
        )
        override.enable()
        overrides.append(override)

    yield apply
    footfall.release.set()
    for override in reversed(overrides):
        override.disable()  # closes the client, which sends what it holds


def serve(middleware: FootfallMiddleware, request: HttpRequest) -> HttpResponseBase:
    response = middleware(request)
    assert isinstance(response, HttpResponseBase)
    return response


def sent(footfall: FakeFootfall) -> list[dict[str, object]]:
    assert get_client().flush(WAIT)
    return footfall.events


def test_a_page_becomes_a_pageview_with_the_visitors_address_and_agent(configure, footfall):
    configure()
    request = requests.get(
        "/pricing?utm_source=newsletter",
        HTTP_USER_AGENT=BROWSER,
        HTTP_REFERER="https://news.example/item",
        REMOTE_ADDR="203.0.113.9",
    )
    response = serve(FootfallMiddleware(page), request)
    assert response.status_code == 200
    [event] = sent(footfall)
    assert event.pop("id")
    assert event == {
        "domain": "shop.example",
        "name": "pageview",
        "url": "http://testserver/pricing?utm_source=newsletter",
        "referrer": "https://news.example/item",
        "ip": "203.0.113.9",
        "user_agent": BROWSER,
    }


@pytest.mark.parametrize(
    ("method", "path", "headers", "view"),
    [
        ("post", "/signup", {}, page),
        ("get", "/missing", {}, lambda r: HttpResponse("<p>Not found</p>", status=404)),
        ("get", "/redirect", {}, lambda r: HttpResponse(status=302, headers={"Location": "/"})),
        ("get", "/api/items", {}, lambda r: JsonResponse({"items": []})),
        ("get", "/static/site.css", {}, page),
        ("get", "/admin/", {}, page),
        ("get", "/healthz", {}, page),
        ("get", "/pricing", {"HTTP_SEC_PURPOSE": "prefetch"}, page),
    ],
)
def test_only_pages_a_visitor_sees_are_counted(configure, footfall, method, path, headers, view):
    configure()
    middleware = FootfallMiddleware(view)
    middleware(getattr(requests, method)(path, HTTP_USER_AGENT=BROWSER, **headers))
    FootfallMiddleware(page)(requests.get("/counted", HTTP_USER_AGENT=BROWSER))
    assert [event["url"] for event in sent(footfall)] == ["http://testserver/counted"]


def test_methods_statuses_paths_and_a_callable_are_configurable(configure, footfall):
    configure(
        METHODS=["GET", "POST"],
        STATUS_CODES=[200, 404],
        EXCLUDE_PATHS=["/private/"],
        SHOULD_TRACK="test_footfall_django.never",
    )
    FootfallMiddleware(page)(requests.get("/"))
    assert sent(footfall) == []

    configure(METHODS=["GET", "POST"], STATUS_CODES=[200, 404], EXCLUDE_PATHS=["/private/"])
    FootfallMiddleware(page)(requests.post("/form"))
    FootfallMiddleware(lambda r: HttpResponse("<p>gone</p>", status=404))(requests.get("/gone"))
    FootfallMiddleware(page)(requests.get("/private/x"))
    FootfallMiddleware(page)(requests.get("/static/counted-now"))
    urls = [event["url"] for event in sent(footfall)]
    assert urls == ["http://testserver/form", "http://testserver/gone", "http://testserver/static/counted-now"]


@pytest.mark.parametrize(
    ("remote", "forwarded", "depth", "expected"),
    [
        ("10.0.0.1", "", 0, "10.0.0.1"),
        ("10.0.0.1", "203.0.113.5", 0, "10.0.0.1"),  # no proxy configured: the header may be forged
        ("10.0.0.1", "203.0.113.5", 1, "203.0.113.5"),
        ("10.0.0.1", "6.6.6.6, 203.0.113.5", 1, "203.0.113.5"),  # the visitor's own entry is skipped
        ("10.0.0.1", "203.0.113.5, 10.0.0.2", 2, "203.0.113.5"),
        ("10.0.0.1", "garbage", 1, "10.0.0.1"),
        ("10.0.0.1", "2001:db8::1", 1, "2001:db8::1"),
        ("", "", 0, None),
    ],
)
def test_the_visitor_address_trusts_only_the_configured_proxies(remote, forwarded, depth, expected):
    request = requests.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert visitor_ip(request, depth) == expected


def test_proxy_depth_reaches_the_event(configure, footfall):
    configure(PROXY_DEPTH=1)
    FootfallMiddleware(page)(requests.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7"))
    assert sent(footfall)[0]["ip"] == "203.0.113.7"


def test_the_response_never_waits_for_footfall(configure, footfall):
    footfall.script(Answer(hold=True))
    configure(BATCH_SIZE=1)
    middleware = FootfallMiddleware(page)
    middleware(requests.get("/first"))
    assert footfall.wait_for(1)  # the sender is now stuck on a request Footfall does not answer
    response = serve(middleware, requests.get("/second"))
    assert response.status_code == 200
    assert get_client().stats.queued == 2
    footfall.release.set()
    assert [event["url"] for event in sent(footfall)] == ["http://testserver/first", "http://testserver/second"]


def test_a_page_that_cannot_be_tracked_is_still_served(configure, footfall, caplog):
    configure()
    response = serve(FootfallMiddleware(page), requests.get("/" + "x" * 2100))
    assert response.status_code == 200
    assert "page view of /xxx" in caplog.text
    assert sent(footfall) == []


def test_views_record_custom_events(configure, footfall):
    configure()

    def signup(request: HttpRequest) -> HttpResponse:
        track_event(request, "Signup", props={"plan": "pro", "seats": 3})
        return HttpResponse("<p>Welcome</p>")

    FootfallMiddleware(signup)(requests.post("/signup", HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.9"))
    [event] = sent(footfall)
    assert (event["name"], event["props"], event["url"]) == (
        "Signup",
        {"plan": "pro", "seats": 3},
        "http://testserver/signup",
    )
    assert (event["ip"], event["user_agent"]) == ("203.0.113.9", BROWSER)


def test_custom_events_with_bad_props_raise_in_the_view(configure, footfall):
    configure()
    with pytest.raises(TypeError, match=r"props\['when'\] must be a str, int, float or bool, not object"):
        track_event(requests.get("/"), "Signup", props={"when": object()})  # type: ignore[dict-item]
    assert sent(footfall) == []


def test_the_middleware_works_in_async_stacks(configure, footfall):
    configure()

    async def async_page(request: HttpRequest) -> HttpResponse:
        return page(request)

    middleware = FootfallMiddleware(async_page)
    pending = middleware(requests.get("/async", HTTP_USER_AGENT=BROWSER))
    assert asyncio.iscoroutine(pending)
    # A loop of its own in a thread of its own: other tests' libraries may run one in this thread.
    with ThreadPoolExecutor(1) as executor:
        response = executor.submit(asyncio.run, pending).result(timeout=WAIT)
    assert response.status_code == 200
    assert [event["url"] for event in sent(footfall)] == ["http://testserver/async"]


def test_a_wrong_setting_fails_at_start_up(footfall):
    with override_settings(FOOTFALL={"URL": footfall.url}), pytest.raises(ImproperlyConfigured, match="API_KEY"):
        FootfallMiddleware(page)
    too_big = {"URL": footfall.url, "API_KEY": "k", "BATCH_SIZE": 5000}
    with override_settings(FOOTFALL=too_big), pytest.raises(ImproperlyConfigured, match="batch_size"):
        FootfallMiddleware(page)


def test_disabled_tracking_sends_nothing(configure, footfall):
    configure(ENABLED=False)
    FootfallMiddleware(page)(requests.get("/"))
    configure()
    FootfallMiddleware(page)(requests.get("/after"))
    assert [event["url"] for event in sent(footfall)] == ["http://testserver/after"]
