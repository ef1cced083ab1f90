"""Other tools' names for browsers, systems, devices, sources and countries, as Footfall's pipeline
names them (tracker/pipeline/enrich/), so imported and native rows of one value add up."""

from __future__ import annotations

from urllib.parse import urlsplit

import pycountry

from imports.rows import RowError, text_value
from stats.dimensions import DIRECT
from tracker.pipeline.enrich.referrers import classify_referrer, source_from_utm

BROWSERS = {
    # Plausible's names
    "microsoft edge": "Edge",
    "samsung browser": "Samsung Internet",
    # Umami's browser ids (its detect-browser names)
    "chrome": "Chrome",
    "crios": "Chrome",
    "chromium-webview": "Chrome WebView",
    "firefox": "Firefox",
    "fxios": "Firefox",
    "safari": "Safari",
    "ios": "Safari",
    "ios-webview": "Safari",
    "edge": "Edge",
    "edge-chromium": "Edge",
    "edge-ios": "Edge",
    "opera": "Opera",
    "opera-mini": "Opera Mini",
    "samsung": "Samsung Internet",
    "yandexbrowser": "Yandex Browser",
    "brave": "Brave",
    "vivaldi": "Vivaldi",
    "facebook": "Facebook",
    "instagram": "Instagram",
}
SYSTEMS = {
    "mac": "macOS",
    "mac os": "macOS",
    "mac os x": "macOS",
    "macos": "macOS",
    "gnu/linux": "Linux",
    "linux": "Linux",
    "chrome os": "ChromeOS",
    "chromeos": "ChromeOS",
    "android os": "Android",
    "android": "Android",
    "ios": "iOS",
    "windows 10": "Windows",
    "windows 7": "Windows",
    "windows 8": "Windows",
    "windows 8.1": "Windows",
    "windows xp": "Windows",
    "windows": "Windows",
}
DEVICES = {"laptop": "desktop", "smart tv": "tv", "smarttv": "tv", "(not set)": ""}
# Google Analytics names countries in CLDR's short English; pycountry knows ISO 3166's names.
COUNTRY_NAMES = {
    "russia": "RU",
    "south korea": "KR",
    "north korea": "KP",
    "vietnam": "VN",
    "iran": "IR",
    "syria": "SY",
    "laos": "LA",
    "taiwan": "TW",
    "moldova": "MD",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "palestine": "PS",
    "turkey": "TR",
    "türkiye": "TR",
    "czech republic": "CZ",
    "macedonia": "MK",
    "myanmar (burma)": "MM",
    "côte d\u2019ivoire": "CI",
    "côte d'ivoire": "CI",
    "congo - kinshasa": "CD",
    "congo - brazzaville": "CG",
    "bosnia & herzegovina": "BA",
    "trinidad & tobago": "TT",
    "antigua & barbuda": "AG",
    "st. kitts & nevis": "KN",
    "st. lucia": "LC",
    "st. vincent & grenadines": "VC",
    "hong kong": "HK",
    "macao": "MO",
    "kosovo": "XK",
}


def browser(name: str | None) -> str:
    text = text_value(name)
    return BROWSERS.get(text.lower(), text)[:64]


def system(name: str | None) -> str:
    text = text_value(name)
    return SYSTEMS.get(text.lower(), text)[:64]


def device(name: str | None) -> str:
    text = text_value(name).lower()
    return DEVICES.get(text, text)[:32]


def source(name: str | None) -> str:
    """A source name; "Direct / None" and "(direct)" are the empty source, as events store it."""
    text = text_value(name)
    return "" if text in (DIRECT, "(direct)", "(none)") else source_from_utm(text)


def referrer_domain(text: str | None) -> str:
    """The referring host without "www.", as events keep it, of a URL or a bare host."""
    value = text_value(text)
    if not value or value == DIRECT:
        return ""
    host = urlsplit(value if "//" in value else f"//{value}").hostname or ""
    return host.removeprefix("www.")[:253]


def source_of_referrer(domain: str, path: str, page_host: str) -> str:
    """The source a referrer classifies as, by the pipeline's own table."""
    return classify_referrer(f"https://{domain}{path}", page_host).source if domain else ""


def country(text: str | None) -> str:
    """An ISO 3166 alpha-2 code from a code or an English name; "" for none; RowError for a name unknown."""
    value = text_value(text)
    if len(value) == 2 and value.isalpha():
        return value.upper()
    if not value or value.startswith("("):
        return ""
    code = COUNTRY_NAMES.get(value.lower())
    if code:
        return code
    try:
        return str(pycountry.countries.lookup(value).alpha_2)
    except LookupError as exc:
        raise RowError("unknown_country", value[:60]) from exc
