"""Ingest under hostile input: random JSON, wrong types, deep nesting, huge strings, invalid UTF-8.

Every request to /api/event and /api/events is answered 202 or a 4xx in the project's JSON
error shape, never a 5xx. FOOTFALL_FUZZ_EXAMPLES sets the examples per endpoint: 500 by default
for a quick `make test`, 5,000 in CI (10,000 cases in all).
"""

from __future__ import annotations

import json
import os

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sites.keys import api_key_create
from tests.factories import MembershipFactory, SiteFactory

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FOOTFALL_FUZZ_EXAMPLES", "500"))
DOMAIN = "fuzz.example"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.sampled_from(["", " ", "\x00", "https://fuzz.example/", "javascript:alert(1)", "x" * 5000, "fuzz.example"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30,
)
urls = st.one_of(
    st.just(f"https://{DOMAIN}/"),
    st.builds(lambda path: f"https://{DOMAIN}/{path}", st.text(max_size=100)),
    st.sampled_from(["", "not a url", "http://", "https://[::1", f"https://{DOMAIN}/" + "a" * 3000, "ftp://x/y"]),
    json_values,
)
events = st.fixed_dictionaries(
    {
        "name": st.one_of(st.just("pageview"), json_values),
        "url": urls,
        "domain": st.one_of(st.just(DOMAIN), json_values),
    },
    optional={
        "referrer": st.one_of(urls, json_values),
        "props": json_values,
        "p": st.one_of(st.just('{"a": 1}'), json_values),
        "engaged_ms": json_values,
        "scroll_depth": json_values,
        "id": json_values,
        "h": json_values,
        "timestamp": json_values,
        "user_agent": json_values,
        "ip": st.one_of(st.just("203.0.113.9"), json_values),
    },
)


def _encoded(value: object) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def deeply_nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


bodies = st.one_of(
    events.map(_encoded),
    st.lists(events, max_size=25).map(_encoded),
    json_values.map(_encoded),
    st.binary(max_size=300),  # invalid UTF-8 and not JSON at all
    st.integers(min_value=10, max_value=100_000).map(deeply_nested),
    st.just(
        b'{"name": "pageview", "url": "https://fuzz.example/", "domain": "fuzz.example", "x": "' + b"y" * 70_000 + b'"}'
    ),
)
content_types = st.sampled_from(["text/plain", "application/json", "application/x-www-form-urlencoded", ""])


def assert_answered_well(response) -> None:
    assert response.status_code < 500, response.content[:300]
    if response.status_code == 202:
        return
    assert 400 <= response.status_code < 500
    error = response.json()["error"]
    assert set(error) == {"code", "message", "field"}
    assert error["code"]
    assert error["message"]


@pytest.fixture
def fuzz_site(settings):
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0  # the fuzzer is one client sending thousands of requests
    site = SiteFactory(domain=DOMAIN)
    return site


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies, content_type=content_types)
def test_browser_endpoint_never_fails_on_hostile_bodies(fuzz_site, body, content_type):
    response = Client().generic("POST", "/api/event", body, content_type=content_type, REMOTE_ADDR="198.51.100.7")
    assert_answered_well(response)


@pytest.fixture
def fuzz_key(fuzz_site) -> str:
    owner = MembershipFactory(site=fuzz_site).user
    return api_key_create(user=owner, name="fuzz", scopes=["events:write"])[1]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies, content_type=content_types)
def test_server_endpoint_never_fails_on_hostile_bodies(fuzz_key, body, content_type):
    response = Client().generic(
        "POST", "/api/events", body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {fuzz_key}"
    )
    assert_answered_well(response)
