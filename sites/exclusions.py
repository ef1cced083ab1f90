"""What a site does not count: page paths its owner excluded, hostnames outside its allowlist, and client
address ranges (the owner's own networks, say). Setting them here; reading them, cached, where events
pass (the ingest edge checks addresses before it forgets them, the pipeline paths and hostnames).

The rules are read once a minute per process and site, so the ingest path rarely touches the database
for them; a change applies at once in the process that made it and within a minute everywhere else.
A site without rules costs a cached lookup per event and nothing more.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import ValidationError

from sites.models import Site, normalise_domain, validate_domain
from stats.goals import path_pattern

MAX_RULES = 100
RULES_CACHE_SECONDS = 60
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ExclusionError(ValueError):
    """A rule that cannot be saved; `field` names the list it is in."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Exclusions:
    """A site's rules, compiled; the empty default excludes nothing."""

    # Each range as (IP version, first address, last address) in integers: one parse of the client's
    # address, then comparisons, is what an excluded range costs an event.
    networks: tuple[tuple[int, int, int], ...] = ()
    paths: re.Pattern[str] | None = None
    hostnames: re.Pattern[str] | None = None

    def excludes_address(self, ip: str) -> bool:
        if not self.networks:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        version, number = address.version, int(address)
        return any(v == version and first <= number <= last for v, first, last in self.networks)

    def excludes_path(self, path: str) -> bool:
        return self.paths is not None and self.paths.match(path) is not None

    def excludes_hostname(self, hostname: str) -> bool:
        return self.hostnames is not None and self.hostnames.match(hostname) is None


NOTHING = Exclusions()


# --- setting them -------------------------------------------------------------------------------


def _lines(values: Iterable[str], field: str) -> list[str]:
    """The non-empty, trimmed entries, each once, in their order; at most MAX_RULES."""
    entries = list(dict.fromkeys(value.strip() for value in values if value.strip()))
    if len(entries) > MAX_RULES:
        raise ExclusionError(field, f"At most {MAX_RULES} entries.")
    return entries


def _path(text: str) -> str:
    if not text.startswith("/") or len(text) > 2000 or any(char.isspace() for char in text):
        raise ExclusionError("excluded_paths", f"{text[:100]!r} is no path: start with '/', e.g. /admin/**.")
    return text


def _hostname(text: str) -> str:
    """A hostname as events' hostnames are kept (lower case, without www.), or `*.` and one."""
    wildcard = text.startswith("*.")
    host = normalise_domain(text.removeprefix("*."))
    try:
        validate_domain(host)
    except ValidationError as exc:
        raise ExclusionError("allowed_hostnames", f"{text[:100]!r} is no hostname, e.g. blog.example.") from exc
    return f"*.{host}" if wildcard else host


def _network(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError as exc:
        message = f"{text[:100]!r} is no address range: use CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32."
        raise ExclusionError("excluded_ip_ranges", message) from exc


def exclusions_set(
    *, site: Site, excluded_paths: Iterable[str], allowed_hostnames: Iterable[str], excluded_ip_ranges: Iterable[str]
) -> Site:
    """Replace the site's rules (each list normalised, checked whole before anything is saved)."""
    site.excluded_paths = [_path(text) for text in _lines(excluded_paths, "excluded_paths")]
    site.allowed_hostnames = list(dict.fromkeys(map(_hostname, _lines(allowed_hostnames, "allowed_hostnames"))))
    site.excluded_ip_ranges = list(dict.fromkeys(map(_network, _lines(excluded_ip_ranges, "excluded_ip_ranges"))))
    site.save(update_fields=["excluded_paths", "allowed_hostnames", "excluded_ip_ranges"])
    forget_cached_exclusions()
    return site


# --- reading them where events pass ---------------------------------------------------------------


def _alternatives(patterns: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns)) if patterns else None


def _hostname_pattern(hostname: str) -> str:
    if hostname.startswith("*."):
        return r"\A(?:.+\.)?" + re.escape(hostname[2:]) + r"\Z"  # the domain itself and every subdomain
    return r"\A" + re.escape(hostname) + r"\Z"


def _bounds(network: Network) -> tuple[int, int, int]:
    return network.version, int(network.network_address), int(network.broadcast_address)


def compile_exclusions(paths: list[str], hostnames: list[str], ip_ranges: list[str]) -> Exclusions:
    if not (paths or hostnames or ip_ranges):
        return NOTHING
    return Exclusions(
        networks=tuple(_bounds(ipaddress.ip_network(text, strict=False)) for text in ip_ranges),
        paths=_alternatives([path_pattern(path) for path in paths]),
        hostnames=_alternatives([_hostname_pattern(host) for host in hostnames]),
    )


@lru_cache(maxsize=4096)
def _cached(site_id: int, bucket: int) -> Exclusions:
    rules = (
        Site.objects.filter(id=site_id).values_list("excluded_paths", "allowed_hostnames", "excluded_ip_ranges").first()
    )
    return compile_exclusions(*rules) if rules else NOTHING


def exclusions_of(site_id: int) -> Exclusions:
    """Return the site's compiled rules, cached per process for a minute."""
    return _cached(site_id, int(time.monotonic() // RULES_CACHE_SECONDS))


def forget_cached_exclusions() -> None:
    _cached.cache_clear()
