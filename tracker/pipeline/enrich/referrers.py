"""Classify HTTP referrers and ``utm_source`` values into traffic sources.

Pure Python (no Django import). The table of known referrers lives in
``data/referrer_sources.json`` next to this module and is loaded once, lazily.

Referrer rules, in order:

* empty, non-http(s), unparsable or host-less referrer -> ``ReferrerSource("", "")``;
* ``android-app://<package>`` -> the app's display name with ``domain=""`` when
  the package is listed in the table, otherwise ``("", "")``;
* self-referral (same host as the page, or the same registrable domain, e.g.
  ``blog.example.com`` -> ``www.example.com``) -> ``("", "")``;
* known host -> its display name ("Google"), ``domain`` = host without "www.";
* any other host -> ``source = domain =`` host without "www.".

Hosts are compared lower-case, without port, trailing dot or leading "www.".
Non-ASCII hosts are converted to their IDNA ("xn--") form; hosts with
characters that cannot appear in a DNS name are treated as unparsable.
IPv6 literals are reported in compressed form without brackets.

Registrable domains come from ``tldextract``'s bundled Public Suffix List
snapshot, private section included (so ``alice.github.io`` and
``bob.github.io`` are different sites). The list is never fetched at run time.

Table matching: exact ``hosts`` first, then ``domains`` (the domain itself or
any subdomain of it, longest match wins), then ``suffix_wildcard`` labels,
which match the registrable-domain label under any ICANN public suffix
(``google`` matches ``google.de`` and ``news.google.co.uk``).

No function here raises for any ``str`` input.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import tldextract

__all__ = ["ReferrerSource", "classify_referrer", "source_from_utm", "source_type"]

DATA_FILE: Final[Path] = Path(__file__).resolve().parents[2] / "data" / "referrer_sources.json"
"""Location of the referrer table, relative to this module."""

SOURCE_TYPES: Final[frozenset[str]] = frozenset({"search", "social", "video", "email", "ai", "other"})
"""Allowed values of a source's ``type`` in the table."""

MAX_UTM_SOURCE_LENGTH: Final[int] = 255

_TABLE_VERSION: Final[int] = 1
_SOURCE_KEYS: Final[frozenset[str]] = frozenset({"type", "hosts", "domains", "suffix_wildcard", "android_apps"})
# Referrers up to this length are memoised whole; longer ones are parsed every
# time (but still hit the per-host caches), bounding the cache's memory.
_MAX_MEMOISED_REFERRER: Final[int] = 512
_MAX_HOST_LENGTH: Final[int] = 253
_HOST_RE: Final[re.Pattern[str]] = re.compile(r"(?:[a-z0-9_-]{1,63}\.)*[a-z0-9_-]{1,63}")
_ANDROID_PACKAGE_RE: Final[re.Pattern[str]] = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)+")
_HTTP_SCHEMES: Final[frozenset[str]] = frozenset({"http", "https"})
# C0 controls and DEL: never useful in a source name, and NUL is rejected by PostgreSQL.
_CONTROL_CHARS: Final[Mapping[int, None]] = MappingProxyType(dict.fromkeys([*range(0x20), 0x7F]))


@dataclass(frozen=True, slots=True)
class ReferrerSource:
    """Where a visit came from.

    ``source`` is a display name ("Google"), the referring host without "www."
    for unknown sites, or "" for direct traffic / self-referrals.
    ``domain`` is the referring host without "www.", or "" when there is no
    referring host (direct, self-referral, or an ``android-app://`` referrer).
    """

    source: str
    domain: str


_NONE: Final[ReferrerSource] = ReferrerSource("", "")


@dataclass(frozen=True, slots=True)
class _SourceTable:
    """The parsed referrer table: lookup maps from key to display name."""

    hosts: Mapping[str, str]
    domains: Mapping[str, str]
    labels: Mapping[str, str]
    android_apps: Mapping[str, str]
    utm_aliases: Mapping[str, str]
    types: Mapping[str, str]


def _string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{where}: expected a list of strings")
    return value


def _add(index: dict[str, str], key: str, name: str, where: str) -> None:
    if key != key.strip().lower() or not key or key.startswith("www."):
        raise ValueError(f"{where}: {key!r} must be lower-case, non-empty, without 'www.'")
    if index.get(key, name) != name:
        raise ValueError(f"{where}: {key!r} is already listed under {index[key]!r}")
    index[key] = name


def _parse_table(raw: Any) -> _SourceTable:
    """Validate the JSON document and build the lookup maps (ValueError if malformed)."""
    if not isinstance(raw, dict) or raw.get("version") != _TABLE_VERSION:
        raise ValueError(f"referrer table: expected an object with version {_TABLE_VERSION}")
    sources = raw.get("sources")
    aliases = raw.get("utm_source_aliases", {})
    if not isinstance(sources, dict) or not isinstance(aliases, dict):
        raise ValueError("referrer table: 'sources' and 'utm_source_aliases' must be objects")

    hosts: dict[str, str] = {}
    domains: dict[str, str] = {}
    labels: dict[str, str] = {}
    apps: dict[str, str] = {}
    types: dict[str, str] = {}
    utm: dict[str, str] = {}
    for name, entry in sources.items():
        where = f"source {name!r}"
        if not name or name != name.strip() or not isinstance(entry, dict):
            raise ValueError(f"{where}: bad name or entry")
        if unknown := set(entry) - _SOURCE_KEYS:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        if entry.get("type") not in SOURCE_TYPES:
            raise ValueError(f"{where}: type must be one of {sorted(SOURCE_TYPES)}")
        types[name] = entry["type"]
        for key, index in (
            ("hosts", hosts),
            ("domains", domains),
            ("suffix_wildcard", labels),
            ("android_apps", apps),
        ):
            for item in _string_list(entry.get(key, []), f"{where}.{key}"):
                _add(index, item, name, f"{where}.{key}")
        utm.setdefault(name.lower(), name)
    for alias, name in aliases.items():
        if name not in types:
            raise ValueError(f"utm alias {alias!r}: unknown source {name!r}")
        utm[alias.strip().lower()] = name
    return _SourceTable(
        hosts=MappingProxyType(hosts),
        domains=MappingProxyType(domains),
        labels=MappingProxyType(labels),
        android_apps=MappingProxyType(apps),
        utm_aliases=MappingProxyType(utm),
        types=MappingProxyType(types),
    )


@functools.lru_cache(maxsize=1)
def _table() -> _SourceTable:
    with DATA_FILE.open(encoding="utf-8") as handle:
        return _parse_table(json.load(handle))


@functools.lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    # Imported lazily: tldextract pulls in requests (~0.1 s of import time).
    import tldextract

    # suffix_list_urls=() and cache_dir=None: use the bundled snapshot only,
    # never touch the network or the disk cache.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def _normalize_host(raw: str) -> str:
    """Lower-case host without trailing dot / leading "www.", or "" if not a valid host."""
    host = raw.strip().lower().rstrip(".")
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host).compressed
        except ValueError:
            return ""
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii").lower()
        except ValueError:  # UnicodeError: not convertible to IDNA
            return ""
    while host.startswith("www."):
        host = host[4:]
    if len(host) > _MAX_HOST_LENGTH or not _HOST_RE.fullmatch(host):
        return ""
    return host


def _is_ip_literal(host: str) -> bool:
    """Whether a normalised host is an IP address (IPv6 was validated by _normalize_host)."""
    return ":" in host or host.replace(".", "").isdigit()


@functools.lru_cache(maxsize=8192)
def _psl_parts(host: str) -> tuple[str, str]:
    """(registrable domain, or the host itself if it has none;
    the registrable domain's label if its suffix is an ICANN one, else "")."""
    if _is_ip_literal(host):
        return host, ""
    parts = _extractor()(host)
    label = parts.domain if parts.suffix and not parts.is_private else ""
    return parts.top_domain_under_public_suffix or host, label


@functools.lru_cache(maxsize=8192)
def _source_for_host(host: str) -> str | None:
    """Display name of a normalised host, or None if the table doesn't know it."""
    table = _table()
    if (name := table.hosts.get(host)) is not None:
        return name
    candidate = host
    while True:
        if (name := table.domains.get(candidate)) is not None:
            return name
        _, dot, candidate = candidate.partition(".")
        if not dot:
            break
    label = _psl_parts(host)[1]
    return table.labels.get(label) if label else None


@functools.lru_cache(maxsize=1024)
def _normalize_page_host(page_host: str) -> str:
    """Normalise the page's Host (may carry a port, brackets, or be a full URL)."""
    text = page_host.strip()
    if not text:
        return ""
    if "://" not in text:
        text = "//" + text
    try:
        raw = urlsplit(text).hostname
    except ValueError:
        return ""
    return _normalize_host(raw) if raw else ""


@functools.lru_cache(maxsize=16384)
def _classify_host(host: str, page_host: str) -> ReferrerSource:
    if page_host and (host == page_host or _psl_parts(host)[0] == _psl_parts(page_host)[0]):
        return _NONE
    return ReferrerSource(_source_for_host(host) or host, host)


def _classify(referrer: str, page_host: str) -> ReferrerSource:
    text = referrer.strip()
    if not text:
        return _NONE
    try:
        parts = urlsplit(text)
        raw_host = parts.hostname
    except ValueError:  # e.g. "http://[::1" (invalid IPv6 URL)
        return _NONE
    if parts.scheme == "android-app":
        package = parts.netloc.lower()
        if _ANDROID_PACKAGE_RE.fullmatch(package) and (name := _table().android_apps.get(package)):
            return ReferrerSource(name, "")
        return _NONE
    if parts.scheme not in _HTTP_SCHEMES or not raw_host:
        return _NONE
    host = _normalize_host(raw_host)
    if not host:
        return _NONE
    return _classify_host(host, _normalize_page_host(page_host))


_classify_memoised = functools.lru_cache(maxsize=8192)(_classify)


def classify_referrer(referrer: str, page_host: str) -> ReferrerSource:
    """Classify a ``Referer`` header value seen on a page served from ``page_host``.

    ``page_host`` is the page's host (``"www.example.com"``, ``"example.com:8000"``
    or a full URL); pass "" to skip the self-referral check.
    Never raises for ``str`` arguments; see the module docstring for the rules.
    """
    if len(referrer) <= _MAX_MEMOISED_REFERRER:
        return _classify_memoised(referrer, page_host)
    return _classify(referrer, page_host)


def source_from_utm(utm_source: str) -> str:
    """Map a ``utm_source`` value to a source name.

    Surrounding whitespace and control characters are removed; "" stays "".
    Known aliases ("fb", "hn", "x", ...), display names and known hosts
    ("google.de") are matched case-insensitively and give the display name;
    anything else is returned as given, truncated to 255 characters.
    """
    value = utm_source.translate(_CONTROL_CHARS).strip()
    if not value:
        return ""
    key = value.lower()
    table = _table()
    if (name := table.utm_aliases.get(key)) is not None:
        return name
    host = _normalize_host(key) if "." in key and len(key) <= _MAX_HOST_LENGTH else ""
    if host and (name := _source_for_host(host)) is not None:
        return name
    return value[:MAX_UTM_SOURCE_LENGTH].rstrip()


def source_type(source: str) -> str:
    """The table's type of a display name ("search", "social", ...), or "" if unknown."""
    return _table().types.get(source, "")
