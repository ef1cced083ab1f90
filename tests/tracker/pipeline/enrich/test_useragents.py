"""User-agent parsing and bot detection, including agents that trip naive parsers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.pipeline.enrich.useragents import parse_user_agent

CASES = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
        "Safari/537.36",
        ("Chrome", "Windows", "desktop"),
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
        "Mobile/15E148 Safari/604.1",
        ("Safari", "iOS", "mobile"),
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 "
        "Mobile/15E148 Safari/604.1",
        ("Safari", "iOS", "tablet"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile "
        "Safari/537.36",
        ("Chrome", "Android", "mobile"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
        "Safari/537.36",
        ("Chrome", "Android", "tablet"),
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:132.0) Gecko/20100101 Firefox/132.0",
        ("Firefox", "macOS", "desktop"),
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
        "Safari/537.36 Edg/130.0.0.0",
        ("Edge", "Windows", "desktop"),
    ),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0", ("Firefox", "Linux", "desktop")),
]


@pytest.mark.parametrize(("ua", "expected"), CASES)
def test_known_agents(ua, expected):
    agent = parse_user_agent(ua)
    assert (agent.browser, agent.os, agent.device_type) == expected
    assert not agent.is_bot


@pytest.mark.parametrize(
    "ua",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "UptimeRobot/2.0",
    ],
)
def test_bots(ua):
    assert parse_user_agent(ua).is_bot


def test_empty_agent_is_blank_not_a_bot():
    agent = parse_user_agent("")
    assert (agent.browser, agent.is_bot) == ("", False)


def test_repeats_come_from_the_cache():
    ua = CASES[0][0]
    parse_user_agent(ua)
    hits_before = parse_user_agent.cache_info().hits
    parse_user_agent(ua)
    assert parse_user_agent.cache_info().hits == hits_before + 1


@given(st.text(max_size=1000))
def test_any_text_parses_within_field_limits(ua):
    agent = parse_user_agent(ua)
    assert len(agent.browser) <= 64
    assert len(agent.os) <= 64
    assert len(agent.browser_version) <= 32
    assert len(agent.os_version) <= 32
    assert agent.device_type in ("", "desktop", "mobile", "tablet")
