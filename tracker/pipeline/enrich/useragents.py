"""User-agent parsing (ua-parser's Rust backend) and bot detection, behind an LRU cache."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import ua_parser
from crawlerdetect import CrawlerDetect

# ua-parser's family names, shortened to the names people know.
BROWSER_NAMES = {
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome WebView",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Opera Mobile": "Opera",
    "Samsung Internet": "Samsung Internet",
}
OS_NAMES = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS", "Other": ""}
TABLET_DEVICES = ("iPad", "Kindle", "Tablet", "Nexus 7", "Nexus 9", "Nexus 10")


@dataclass(frozen=True, slots=True)
class UserAgent:
    browser: str = ""
    browser_version: str = ""
    os: str = ""
    os_version: str = ""
    device_type: str = ""
    is_bot: bool = False


def _version(major: str | None, minor: str | None) -> str:
    if not major:
        return ""
    return f"{major}.{minor}" if minor else major


def _device_type(ua: str, device_family: str, os_family: str) -> str:
    if any(name in device_family for name in TABLET_DEVICES):
        return "tablet"
    if os_family == "Android":
        return "mobile" if "Mobile" in ua else "tablet"
    if os_family in ("iOS", "Windows Phone", "BlackBerry OS", "KaiOS") or "Mobile" in ua:
        return "mobile"
    return "desktop"


@lru_cache(maxsize=1)
def _crawler_detect() -> CrawlerDetect:
    return CrawlerDetect()


@lru_cache(maxsize=20_000)
def parse_user_agent(ua: str) -> UserAgent:
    """Return browser, OS, device type and whether the agent is a bot; repeats are cached."""
    if not ua:
        return UserAgent()
    result = ua_parser.parse(ua)
    agent, os, device = result.user_agent, result.os, result.device
    is_bot = (device is not None and device.family == "Spider") or _crawler_detect().isCrawler(ua)
    if agent is None:
        browser, browser_version = "", ""
    else:
        browser = BROWSER_NAMES.get(agent.family, agent.family)
        browser_version = _version(agent.major, agent.minor)
    os_family = os.family if os is not None else ""
    return UserAgent(
        browser="" if browser == "Other" else browser[:64],
        browser_version=browser_version[:32],
        os=OS_NAMES.get(os_family, os_family)[:64],
        os_version=_version(os.major, os.minor)[:32] if os is not None else "",
        device_type=_device_type(ua, device.family if device is not None else "", os_family),
        is_bot=is_bot,
    )
