"""The request shapes of the µAnalytics API: times, query parameters, JSON bodies, and the values
µAnalytics derives from a visitor's headers (platform, referrer domain), exactly as its
specification states them. Nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import orjson

from compat.errors import INVALID_INTERVAL, INVALID_JSON, INVALID_TIME_FORMAT, CompatError

DEFAULT_INTERVAL = 86_400
MAX_INTERVAL = 2_147_483_647
# The last second of year 9999 in Unix seconds: later times are unparseable.
MAX_UNIX = 253_402_300_799

_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})\Z"
)
_RFC1123 = re.compile(
    r"([A-Za-z]{3}), ([0-9]{2}) ([A-Za-z]{3}) ([0-9]{4}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)? ([A-Za-z]{3,5})\Z"
)
_UNIX = re.compile(r"[0-9]+\Z")
_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# The platform rules, in the order they are tried: the first substring found wins.
PLATFORMS = (
    ("windows phone", "Microsoft Windows Phone"),
    ("windows nt", "Microsoft Windows"),
    ("ipad", "iPad"),
    ("ipod", "iPod"),
    ("iphone", "iPhone"),
    ("android", "Android"),
    ("blackberry", "Blackberry"),
    ("samsung", "Samsung"),
    ("playstation", "Playstation"),
    ("wii", "Wii"),
    ("macintosh", "Apple Mac"),
    ("linux", "Linux"),
    ("curl", "Curl"),
)

# Body fields by their case-folded name; every one is a JSON string.
TEXT_FIELDS = {
    "time": "time",
    "event": "event",
    "path": "path",
    "ip": "ip",
    "platform": "platform",
    "refererdomain": "referer_domain",
    "countrycode": "country_code",
    "website": "website",
}


# --- times -------------------------------------------------------------------------------------


def _rfc3339(text: str) -> datetime | None:
    match = _RFC3339.match(text)
    if not match:
        return None
    *parts, zone = match.groups()
    offset = timedelta(0)
    if zone != "Z":
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            return None
        offset = timedelta(hours=hours, minutes=minutes) * (-1 if zone[0] == "-" else 1)
    year, month, day, hour, minute, second = (int(p) for p in parts)
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset)).astimezone(UTC)


def _rfc1123(text: str) -> datetime | None:
    match = _RFC1123.match(text)
    if not match:
        return None
    weekday, day, month_name, year, hour, minute, second, _zone = match.groups()
    if weekday.lower() not in _DAYS or month_name.lower() not in _MONTHS:
        return None
    month = _MONTHS.index(month_name.lower()) + 1
    # The zone is taken as UTC whatever its name, and the weekday is not checked against the date.
    return datetime(int(year), month, int(day), int(hour), int(minute), int(second), tzinfo=UTC)


def _unix(text: str) -> datetime | None:
    if not _UNIX.match(text) or int(text) > MAX_UNIX:
        return None
    return datetime.fromtimestamp(int(text), tz=UTC)


def parse_time(text: str) -> datetime | None:
    """Return the UTC time, to the second, of an RFC 3339, RFC 1123 or Unix-seconds text; None if none fits."""
    for parse in (_rfc3339, _rfc1123, _unix):
        try:
            moment = parse(text)
        except (ValueError, OverflowError):  # a field out of range, or a year outside 1-9999 once in UTC
            moment = None
        if moment is not None:
            return moment.replace(microsecond=0)
    return None


def format_time(moment: datetime) -> str:
    return format_unix(int(moment.timestamp()))


_CYCLE_SECONDS = 146_097 * 86_400  # the Gregorian calendar repeats every 400 years
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def format_unix(seconds: int) -> str:
    """Return `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds, also for bucket edges outside years 1-9999."""
    cycles = 0
    while seconds < -62_135_596_800:  # before year 1
        seconds += _CYCLE_SECONDS
        cycles -= 1
    while seconds > MAX_UNIX:
        seconds -= _CYCLE_SECONDS
        cycles += 1
    moment = _EPOCH + timedelta(seconds=seconds)
    year = moment.year + 400 * cycles
    year_text = f"-{-year:04d}" if year < 0 else f"{year:04d}"
    return f"{year_text}-{moment:%m-%dT%H:%M:%S}Z"


# --- query strings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadParams:
    start: datetime | None = None
    end: datetime | None = None  # included
    unique: bool = False
    interval: int = DEFAULT_INTERVAL


def _first(query: Mapping[str, list[str]], name: str) -> str:
    values = query.get(name) or [""]
    return values[0]


def read_params(query: Mapping[str, list[str]], *, interval: bool = False) -> ReadParams:
    """Parse start, end, unique and (for /time) interval, checking times before the interval."""
    start, end = (_bound(_first(query, name)) for name in ("start", "end"))
    if start is not None and end is not None and start > end:
        raise CompatError(INVALID_TIME_FORMAT, "'start' is later than 'end'.")
    seconds = DEFAULT_INTERVAL
    text = _first(query, "interval") if interval else ""
    if text:
        if not _INTEGER.match(text) or not 1 <= int(text) <= MAX_INTERVAL:
            raise CompatError(INVALID_INTERVAL, f"'interval' must be an integer from 1 to {MAX_INTERVAL}.")
        seconds = int(text)
    return ReadParams(start=start, end=end, unique=_first(query, "unique") == "true", interval=seconds)


def _bound(text: str) -> datetime | None:
    if not text:
        return None
    moment = parse_time(text)
    if moment is None:
        raise CompatError(INVALID_TIME_FORMAT, f"{text!r} is not an RFC 3339, RFC 1123 or Unix time.")
    return moment


# --- bodies ------------------------------------------------------------------------------------


@dataclass
class Analytic:
    """One analytic as sent; "" stands for a missing field, as in µAnalytics."""

    time: str = ""
    event: str = ""
    path: str = ""
    ip: str = ""
    platform: str = ""
    referer_domain: str = ""
    country_code: str = ""
    website: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def _invalid(message: str) -> CompatError:
    return CompatError(INVALID_JSON, message)


def parse_body(body: bytes) -> dict[str, Any]:
    """Return the body's JSON object, whatever the Content-Type said."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _invalid("The body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise _invalid("The body must be a JSON object.")
    return data


def parse_analytic(data: Mapping[str, Any] | None) -> Analytic:
    """Read one analytic: keys match case-insensitively, the last one wins, null means absent."""
    analytic = Analytic()
    for key, value in (data or {}).items():
        name = key.casefold()
        if value is None or (name not in TEXT_FIELDS and name != "headers"):
            continue
        if name == "headers":
            analytic.headers = _headers(value)
        elif isinstance(value, str):
            setattr(analytic, TEXT_FIELDS[name], value)
        else:
            raise _invalid(f"{key!r} must be a string.")
    return analytic


def _headers(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _invalid("'headers' must be an object of strings.")
    headers = {}
    for key, item in value.items():
        if item is not None and not isinstance(item, str):
            raise _invalid("'headers' must be an object of strings.")
        headers[key] = item or ""
    return headers


def parse_list(data: Mapping[str, Any]) -> list[Analytic]:
    """Read the `list` of a bulk body; missing or null is empty."""
    items: Any = None
    for key, value in data.items():
        if key.casefold() == "list" and value is not None:
            items = value
    if items is None:
        return []
    if not isinstance(items, list) or not all(item is None or isinstance(item, dict) for item in items):
        raise _invalid("'list' must be an array of objects.")
    return [parse_analytic(item) for item in items]


# --- what µAnalytics derives from the visitor's headers -------------------------------------------


def header(headers: Mapping[str, str], *needles: str) -> str:
    """Return the value of the first header whose name contains one of the needles (any case)."""
    for name, value in headers.items():
        if any(needle in name.lower() for needle in needles):
            return value
    return ""


def user_agent_of(headers: Mapping[str, str]) -> str:
    return header(headers, "user-agent")


def referer_of(headers: Mapping[str, str]) -> str:
    return header(headers, "referer", "referrer")


def platform_of(user_agent: str) -> str:
    lowered = user_agent.lower()
    for needle, platform in PLATFORMS:
        if needle in lowered:
            return platform
    return ""


def referer_domain_of(referer: str) -> str:
    """Return host[:port] of an absolute URL with a scheme, letter case untouched; "" otherwise."""
    try:
        parts = urlsplit(referer)
    except ValueError:
        return ""
    if not parts.scheme or not parts.netloc:
        return ""
    host = parts.netloc.rpartition("@")[2]
    if any(ch.isspace() or ord(ch) < 32 for ch in host):
        return ""
    port = host.rpartition("]")[2] if host.startswith("[") else host
    _, colon, digits = port.partition(":")
    if colon and not (digits == "" or (digits.isascii() and digits.isdigit())):
        return ""
    return host
