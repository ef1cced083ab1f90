"""Ingest validation as functions: addresses, limits, aliases, and hostile input."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics_site.errors import ApiError
from tests.factories import TIME_ZERO
from tracker.ingest import validation


@pytest.mark.parametrize(
    ("remote", "forwarded", "hops", "expected"),
    [
        ("10.0.0.1", "", 0, "10.0.0.1"),
        ("10.0.0.1", "203.0.113.5", 0, "10.0.0.1"),  # not trusted: the header is ignored
        ("10.0.0.1", "203.0.113.5", 1, "203.0.113.5"),
        ("10.0.0.1", "6.6.6.6, 203.0.113.5", 1, "203.0.113.5"),  # a spoofed left entry is skipped
        ("10.0.0.1", "203.0.113.5, 10.0.0.2", 2, "203.0.113.5"),
        ("10.0.0.1", "203.0.113.5", 3, "203.0.113.5"),
        ("10.0.0.1", "garbage", 1, "10.0.0.1"),
        ("10.0.0.1", " , ", 1, "10.0.0.1"),
        ("10.0.0.1", "2001:db8::1", 1, "2001:db8::1"),
        # IPv4 clients as a dual-stack socket or proxy reports them are their IPv4 address.
        ("::ffff:203.0.113.5", "", 0, "203.0.113.5"),
        ("10.0.0.1", "::ffff:203.0.113.5", 1, "203.0.113.5"),
    ],
)
def test_client_ip_trusts_only_the_configured_hops(remote, forwarded, hops, expected):
    assert validation.client_ip(remote, forwarded, hops) == expected


def test_check_size_uses_the_declared_and_the_real_length():
    validation.check_size("10", b"x" * 10, 10)
    with pytest.raises(ApiError) as declared:
        validation.check_size("11", None, 10)
    assert (declared.value.status, declared.value.code) == (413, "payload_too_large")
    with pytest.raises(ApiError):
        validation.check_size("nonsense", b"x" * 11, 10)


def test_long_names_win_over_plausible_aliases():
    assert validation._canonical({"n": "short", "name": "long", "u": "x"}) == {"name": "long", "url": "x"}


def test_props_drop_nulls_and_keep_scalars():
    assert validation._props({"a": None, "b": 1, "c": "x", "d": True, "e": 1.5}) == {
        "b": 1,
        "c": "x",
        "d": True,
        "e": 1.5,
    }


@pytest.mark.parametrize("value", [float("nan"), 2**70, "\x00"])
def test_props_reject_values_storage_cannot_hold(value):
    with pytest.raises(ApiError):
        validation._props({"k": value})


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
event_like = st.fixed_dictionaries(
    {},
    optional={
        key: json_values | st.text(max_size=3000)
        for key in (
            "domain",
            "name",
            "url",
            "referrer",
            "props",
            "engaged_ms",
            "scroll_depth",
            "id",
            "n",
            "u",
            "d",
            "p",
        )
    },
)


@pytest.mark.django_db
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(payload=json_values | event_like | st.lists(event_like, max_size=25))
def test_any_json_is_accepted_or_rejected_with_an_api_error(payload):
    """Validation either builds hits or raises ApiError; nothing else escapes."""
    try:
        batch = validation.browser_batch(payload, ip="203.0.113.1", user_agent="UA", now=TIME_ZERO)
    except ApiError as error:
        assert error.status == 400
        assert error.code in {"invalid_field", "invalid_json", "unknown_site", "too_many_events"}
    else:
        assert batch.accepted == 0  # no site is registered, so nothing can be accepted
        assert all(r.code for r in batch.rejected)
