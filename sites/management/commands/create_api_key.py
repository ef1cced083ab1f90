"""Create an API key for a user and print it once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sites.keys import api_key_create
from sites.models import Site, normalise_domain


class Command(BaseCommand):
    help = "Create an API key; the key is printed once and stored only as a hash."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="Username of the key's owner")
        parser.add_argument("--scopes", required=True, help="Comma-separated, e.g. stats:read,events:write")
        parser.add_argument("--site", action="append", default=[], help="Restrict the key to this domain (repeatable)")
        parser.add_argument("--name", default="", help="A label to recognise the key by")

    def handle(self, *args: Any, user: str, scopes: str, site: list[str], name: str, **options: Any) -> None:
        owner = get_user_model().objects.filter(username=user).first()
        if owner is None:
            raise CommandError(f"No user named {user!r}.")
        domains = [normalise_domain(d) for d in site]
        sites = list(Site.objects.filter(domain__in=domains))
        missing = set(domains) - {s.domain for s in sites}
        if missing:
            raise CommandError(f"No site for: {', '.join(sorted(missing))}.")
        try:
            key, raw = api_key_create(
                user=owner,
                name=name or f"{user} key",
                scopes=[s.strip() for s in scopes.split(",") if s.strip()],
                sites=sites,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(raw)
        self.stderr.write(f"Created key {key.prefix}… with scopes {', '.join(key.scopes)}. It is shown only once.")
