"""Adding a site in Chromium: the browser's time zone preselected, the snippet copied, and the install check
turning to "received" by itself when the first event arrives."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from sites.models import Site
from tests.browser.test_dashboard import screenshot
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"


def test_a_new_site_is_added_and_its_first_event_is_noticed(browser: Browser, browser_context_args, live_server):
    user = UserFactory(username="newcomer")
    user.set_password("pw-for-tests")
    user.save()
    context = browser.new_context(
        **browser_context_args, timezone_id="Asia/Tokyo", permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Your sites")

    page.click("text=Add a site")
    expect(page.locator("select[name=timezone]")).to_have_value("Asia/Tokyo")
    page.fill("input[name=domain]", "www.New-Blog.example")
    screenshot(page, "add-site-form")
    page.click("#add-site button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/sites/new-blog.example/setup/")
    assert Site.objects.get(domain="new-blog.example").timezone == "Asia/Tokyo"
    expect(page.locator("[data-state=waiting]")).to_be_visible()
    expect(page.locator("#snippet-code")).to_contain_text('data-domain="new-blog.example"')
    page.wait_for_load_state("load")  # the button's handler comes with the page's scripts
    page.click("button.copy")
    expect(page.locator("button.copy")).to_have_text("Copied")
    assert 'data-domain="new-blog.example"' in page.evaluate("() => navigator.clipboard.readText()")
    screenshot(page, "add-site-waiting")

    # The snippet's first event, as a reader's browser sends it (embedded mode stores it in the request).
    event = {"domain": "new-blog.example", "name": "pageview", "url": "https://new-blog.example/"}
    sent = page.request.post(f"{live_server.url}/api/event", data=event, headers={"User-Agent": USER_AGENT})
    assert sent.status == 202
    expect(page.locator("[data-state=received]")).to_be_visible(timeout=10_000)
    expect(page.locator("[data-state=waiting]")).to_be_hidden()
    screenshot(page, "add-site-received")
    context.close()
