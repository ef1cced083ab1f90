"""Report mails in Chromium: the unsubscribe link of a received mail, end to end without login, and the
report's HTML part as a mail client shows it, chart included (FOOTFALL_REPORT_SCREENSHOT=docs/report.png
writes the README's picture)."""

from __future__ import annotations

import base64
import os
import random
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from reports.delivery import send_due_alerts, send_due_reports
from reports.models import Alert, Subscription
from reports.render import CHART_CID
from sites.goals import goal_create
from tests.browser.test_dashboard import SCREENSHOTS
from tests.factories import MembershipFactory, SiteFactory, UserFactory
from tests.reports.test_delivery import parts
from tests.reports.traffic import MONDAY_MORNING, subscribed_site, subscriber
from tracker import pipeline
from tracker.demo.traffic import TrafficGenerator

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOT = os.environ.get("FOOTFALL_REPORT_SCREENSHOT", "")


def unsubscribe_link(message) -> str:
    html = parts(message)["text/html"].get_content()
    match = re.search(r'href="([^"]*/unsubscribe/[^"]+)"', html)
    assert match is not None
    return match[1]


def test_the_unsubscribe_link_of_a_received_report_works_without_login(page: Page, live_server, smtp, settings):
    settings.PUBLIC_URL = live_server.url
    subscriber(subscribed_site())
    send_due_reports(MONDAY_MORNING)
    link = unsubscribe_link(smtp.messages[0])
    assert link.startswith(live_server.url)

    page.goto(link)
    expect(page.get_by_text("Stop getting the weekly report of mail.example?")).to_be_visible()
    assert Subscription.objects.exists()
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.locator("#unsubscribed")).to_have_text("You no longer get the weekly report of mail.example.")
    assert not Subscription.objects.exists()
    page.goto(link)
    expect(page.locator("#unsubscribed")).to_have_text("You were unsubscribed already.")


def test_the_one_click_post_of_an_alert_mail_unsubscribes(page: Page, live_server, smtp, settings):
    settings.PUBLIC_URL = live_server.url
    site = subscribed_site()
    Alert.objects.create(site=site, email="ops@example.com", kind="silence", threshold=6)
    send_due_alerts(MONDAY_MORNING)
    header = smtp.messages[0]["List-Unsubscribe"].strip().strip("<>")
    # What a mail client does for RFC 8058: a POST with this body, no cookie, no CSRF token.
    response = page.request.post(header, form={"List-Unsubscribe": "One-Click"})
    assert response.status == 200
    assert not Alert.objects.exists()
    tampered = page.request.post(header[:-3] + "xyz", form={"List-Unsubscribe": "One-Click"})
    assert tampered.status == 400


COUNTRIES = ["DE", "US", "FR", "GB", "NL", "SE", "CA", "JP"]


def demo_site():
    """Two weeks of the demo generator's traffic (countries drawn here: the tests have no GeoIP data)."""
    site = SiteFactory(domain="blog.example")
    goal_create(site=site, goal_type="event", event_name="Signup")
    goal_create(site=site, goal_type="page", page_path="/pricing")
    rng = random.Random(7)
    end = MONDAY_MORNING - timedelta(hours=6)
    generator = TrafficGenerator(site_id=site.id, domain=site.domain, days=14, visitors=300, end=end, seed=7)
    for hits in generator.days_of_hits():
        stored = [pipeline.pseudonymise(hit) for hit in hits]
        for hit in stored:
            hit.country = rng.choices(COUNTRIES, weights=[8, 6, 3, 3, 2, 1, 1, 1])[0]
        pipeline.process_batch(stored)
    return site


def test_a_report_shows_in_a_browser_as_in_a_mail_client_with_its_chart(page: Page, smtp, record_property):
    subscriber(demo_site())
    started = time.perf_counter()
    send_due_reports(MONDAY_MORNING)
    seconds = time.perf_counter() - started
    size = len(smtp.messages[0].as_bytes())
    record_property(
        "summary",
        f"a weekly report of the demo site: counted, rendered and sent in {seconds * 1000:.0f} ms, {size:,} bytes",
    )
    found = parts(smtp.messages[0])
    chart = base64.b64encode(found["image/png"].get_content()).decode()
    # A mail client resolves cid: from the message's parts; a page needs the picture inline.
    html = found["text/html"].get_content().replace(f"cid:{CHART_CID}", f"data:image/png;base64,{chart}")
    page.set_viewport_size({"width": 720, "height": 900})
    page.set_content(html)
    chart_image = page.get_by_alt_text("Visitors per day")
    expect(chart_image).to_be_visible()
    assert chart_image.evaluate("img => img.naturalWidth") == 1200
    expect(page.get_by_text("Top pages")).to_be_visible()
    expect(page.get_by_role("link", name="Unsubscribe")).to_be_visible()
    if SCREENSHOT:
        Path(SCREENSHOT).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOT, full_page=True)


def test_a_viewer_subscribes_on_the_email_page_from_the_dashboard(page: Page, live_server):
    user: Any = UserFactory(username="viewer", password="pw-for-tests")
    MembershipFactory(site=subscribed_site(), user=user, role="viewer")
    page.goto(f"{live_server.url}/accounts/login/?next=/sites/mail.example/")
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    page.get_by_role("link", name="Email reports").click()
    expect(page.get_by_role("heading", name="Email reports and alerts")).to_be_visible()
    expect(page.get_by_role("heading", name="Reports to other addresses")).to_have_count(0)  # owners only
    page.get_by_label("Monthly report (on the 1st)").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your reports are saved.")).to_be_visible()
    expect(page.get_by_label("Monthly report (on the 1st)")).to_be_checked()
    assert list(Subscription.objects.values_list("user__username", "period")) == [("viewer", "month")]
    page.get_by_label("When").select_option("silence")
    page.get_by_label("Visitors or hours").fill("6")
    page.get_by_role("button", name="Add alert").click()
    expect(page.get_by_text("no events for 6 hours")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "email-page.png"), full_page=True)
