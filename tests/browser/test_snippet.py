"""The snippet in a real browser: a page on its own origin, events through the real ingest API."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.factories import SiteFactory
from tracker.models import Event

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "http://blog.test"
# Footfall as the browser sees it: another public host, proxied to the live server. (Chromium
# blocks a public page from calling loopback addresses directly.)
STATS = "http://stats.test"
PAGE = """<!doctype html><html><head>
<script>window.footfall = window.footfall || function(){{(footfall.q = footfall.q || []).push(arguments)}};
footfall('Early', {{props: {{queued: true}}}});</script>
<script defer data-domain="blog.test" data-api="{api}" {attributes} src="{script}"></script>
</head><body style="height: 4000px">
<h1>An article</h1>
<a id="out" href="https://elsewhere.test/read">elsewhere</a>
<a id="file" href="/files/report.pdf">report</a>
</body></html>"""


def wait_for(page, condition: Callable[[], bool], timeout: float = 10) -> bool:
    """Poll the database; waiting through Playwright lets its route handlers (the proxy) run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        page.wait_for_timeout(100)
    return condition()


@pytest.fixture
def open_blog(page, live_server, settings):
    """Serve blog.test pages carrying the tag from the live server, and return a page opener."""
    SiteFactory(domain="blog.test")

    def open_page(path: str = "/", attributes: str = "data-outbound data-downloads", init: str = "") -> None:
        html = PAGE.format(api=f"{STATS}/api/event", script=f"{STATS}/js/script.js", attributes=attributes)
        page.route(f"{ORIGIN}/**", lambda route: route.fulfill(status=200, content_type="text/html", body=html))
        page.route("https://elsewhere.test/**", lambda route: route.fulfill(status=200, body="elsewhere"))
        page.route(f"{STATS}/**", lambda route: proxy(route, live_server.url))
        if init:
            page.add_init_script(init)
        page.goto(ORIGIN + path)
        page.wait_for_function("typeof window.footfall === 'function' && !window.footfall.q")

    return open_page


def proxy(route, target: str) -> None:
    with contextlib.suppress(PlaywrightError):  # a beacon still in flight as the test closes the page
        route.fulfill(response=route.fetch(url=route.request.url.replace(STATS, target)))


def names() -> list[str]:
    return list(Event.objects.order_by("timestamp", "id").values_list("name", flat=True))


def test_pageview_and_queued_event_on_load(page, open_blog):
    open_blog("/blog/first?utm_source=newsletter")
    assert wait_for(page, lambda: {"pageview", "Early"} <= set(names()))
    view = Event.objects.get(name="pageview")
    assert (view.hostname, view.path, view.utm_source, view.browser) == (
        "blog.test",
        "/blog/first",
        "newsletter",
        "Chrome",
    )
    assert Event.objects.get(name="Early").props == {"queued": True}


def test_spa_navigation_counts_once_per_path(page, open_blog):
    open_blog()
    assert wait_for(page, lambda: "pageview" in names())
    page.evaluate("history.pushState({}, '', '/spa/next')")
    page.evaluate("history.replaceState({}, '', '/spa/next')")  # same path: not another view
    page.evaluate("history.pushState({}, '', '/spa/third')")
    assert wait_for(page, lambda: Event.objects.filter(name="pageview").count() == 3)
    page.wait_for_timeout(1500)
    paths = list(Event.objects.filter(name="pageview").order_by("timestamp").values_list("path", flat=True))
    assert paths == ["/", "/spa/next", "/spa/third"]


def test_hash_mode_counts_fragments(page, open_blog):
    open_blog(attributes="data-hash")
    page.evaluate("location.hash = '#/settings'")
    assert wait_for(page, lambda: Event.objects.filter(name="pageview", path="/#/settings").exists())


def test_custom_event_with_props_and_callback(page, open_blog):
    open_blog()
    page.evaluate("new Promise(done => footfall('Signup', {props: {plan: 'pro', seats: 3}, callback: done}))")
    assert wait_for(page, lambda: Event.objects.filter(name="Signup").exists())
    assert Event.objects.get(name="Signup").props == {"plan": "pro", "seats": 3}


def test_outbound_and_download_clicks(page, open_blog):
    open_blog()
    page.click("#file")
    assert wait_for(page, lambda: Event.objects.filter(name="File Download").exists())
    assert Event.objects.get(name="File Download").props["url"].endswith("/files/report.pdf")
    open_blog()
    page.click("#out")
    assert wait_for(page, lambda: Event.objects.filter(name="Outbound Link: Click").exists())
    assert Event.objects.get(name="Outbound Link: Click").props == {"url": "https://elsewhere.test/read"}


def test_clicks_are_not_tracked_without_opt_in(page, open_blog):
    open_blog(attributes="")
    assert wait_for(page, lambda: "pageview" in names())
    page.click("#file")  # loads the next page of the same blog
    assert wait_for(page, lambda: names().count("pageview") == 2)
    page.wait_for_timeout(1500)
    assert "File Download" not in names()


def test_scroll_then_hide_sends_engagement(page, open_blog):
    open_blog()
    page.mouse.wheel(0, 3000)
    page.wait_for_timeout(1200)
    page.evaluate(
        "Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    assert wait_for(page, lambda: Event.objects.filter(name="engagement").exists())
    engagement = Event.objects.get(name="engagement")
    assert engagement.scroll_depth is not None
    assert engagement.scroll_depth > 50
    assert engagement.path == "/"


def test_owner_opt_out_sends_nothing(page, open_blog):
    open_blog(init="localStorage.footfall_ignore = 'true'")
    page.evaluate("footfall('Signup')")
    page.wait_for_timeout(2000)
    assert names() == []


def test_localhost_is_ignored_unless_included(page, live_server):
    SiteFactory(domain="blog.test")
    page.goto(f"{live_server.url}/js/script.js")  # any page on the loopback host
    page.set_content(f'<script data-domain="blog.test" src="{live_server.url}/js/script.js"></script>')
    page.wait_for_function("typeof window.footfall === 'function'")
    page.evaluate("footfall('Signup')")
    page.wait_for_timeout(2000)
    assert names() == []
