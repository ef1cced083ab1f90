"""An invitation in Chromium: the owner invites from the settings page, the invitee follows the mailed
link, makes an account and lands on the site's dashboard; the link then no longer works."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_dashboard import log_in, screenshot
from tests.factories import MembershipFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long and unusual passphrase 7"


@pytest.fixture
def blog(db):
    """blog.example and its owner, who logs in as tests/browser/test_dashboard.py's log_in does."""
    owner = UserFactory(username="owner")
    owner.set_password("pw-for-tests")
    owner.save()
    site = SiteFactory(domain="blog.example")
    MembershipFactory(user=owner, site=site, role="owner")
    return site


def test_an_invitee_makes_an_account_from_the_mailed_link(
    page: Page, browser: Browser, browser_context_args, live_server, blog
):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/sites/blog.example/settings/#members")
    page.fill("#invite input[name=email]", "new@example.com")
    page.select_option("#invite select[name=role]", "viewer")
    page.click("#invite button[type=submit]")
    expect(page.locator("#invitations")).to_contain_text("new@example.com")
    screenshot(page, "invitation-pending")
    (message,) = mail.outbox
    link = re.search(r"http://\S+/invitations/\S+/", message.body)
    assert link is not None

    invitee = browser.new_context(**browser_context_args).new_page()
    invitee.goto(link.group(0))
    expect(invitee.locator("h1")).to_have_text("Join blog.example")
    invitee.fill("#new-account input[name=username]", "newcomer")
    invitee.fill("#new-account input[name=password1]", PASSWORD)
    invitee.fill("#new-account input[name=password2]", PASSWORD)
    screenshot(invitee, "invitation-accept")
    invitee.click("#new-account button[type=submit]")
    expect(invitee).to_have_url(f"{live_server.url}/sites/blog.example/")
    invitee.wait_for_selector("#dashboard[data-loaded=true]")
    screenshot(invitee, "invitation-joined")

    invitee.goto(link.group(0))
    expect(invitee.locator(".error")).to_contain_text("used already")
    page.reload()
    expect(page.locator("#members")).to_contain_text("newcomer")
    assert page.locator("#invitations").count() == 0
