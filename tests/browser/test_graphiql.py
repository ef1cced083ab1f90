"""GraphiQL in Chromium (DEBUG): it loads from our own files under the page's CSP and runs a query with a key."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from sites.keys import api_key_create
from tests.factories import MembershipFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_graphiql_runs_a_query_under_the_pages_csp(page: Page, live_server, settings):
    settings.DEBUG = True
    user = UserFactory()
    MembershipFactory(user=user, site=SiteFactory(domain="graphiql.example"))
    secret = api_key_create(user=user, name="ide", scopes=["stats:read"])[1]
    problems: list[str] = []  # console errors (CSP refusals among them), script errors, requests elsewhere
    page.on("console", lambda message: problems.extend([message.text] if message.type == "error" else []))
    page.on("pageerror", lambda error: problems.append(str(error)))
    here = live_server.url
    page.on("request", lambda request: problems.extend([] if request.url.startswith(here) else [request.url]))
    # The key as a user types it in the Headers tab, which GraphiQL keeps in local storage.
    headers = json.dumps({"Authorization": f"Bearer {secret}"})
    page.add_init_script(f"localStorage.setItem('graphiql:headers', {json.dumps(headers)})")

    page.goto(f"{live_server.url}/api/graphql")
    expect(page.locator(".graphiql-container")).to_be_visible()
    page.locator(".graphiql-execute-button").click()
    result = page.locator(".result-window")
    expect(result).to_contain_text('"domain": "graphiql.example"', timeout=10_000)
    expect(result).to_contain_text('"visitors"')
    assert problems == []
