"""Prepare a local instance: an admin user and a demo site with goals and a funnel, then print how to use them."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from sites.models import Membership, Site
from sites.services import site_create
from tracker.demo.goals import demo_goals_create
from tracker.demo.traffic import DEMO_DOMAIN

BROWSER_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


class Command(BaseCommand):
    help = (
        "Create the admin user and the demo site (with its goals and a funnel) if missing, and print the login "
        "and the script tag."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="http://127.0.0.1:8000", help="Where Footfall is served")
        parser.add_argument("--username", default="admin")
        parser.add_argument("--quiet", action="store_true", help="Create what is missing, print nothing")

    def handle(self, *args: Any, host: str, username: str, quiet: bool, **options: Any) -> None:
        password_file = settings.VAR_DIR / "admin_password"
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = user_model.objects.create_superuser(username=username, email="", password=password)
            settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
        site = Site.objects.filter(domain=DEMO_DOMAIN).first() or site_create(
            owner=user, domain=DEMO_DOMAIN, name="Demo blog"
        )
        Membership.objects.get_or_create(user=user, site=site, defaults={"role": Membership.Role.OWNER})
        demo_goals_create(site)
        if quiet:
            return
        password_hint = (
            password_file.read_text().strip()
            if password_file.exists()
            else "(as you set it; `manage.py changepassword`)"
        )
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Footfall is ready.",
                    f"  Dashboard:  {host}/",
                    f"  Admin:      {host}/admin/",
                    f"  Login:      {username} / {password_hint}",
                    f"  Demo site:  {site.domain} (a page carrying its snippet: {host}/demo/)",
                    f'  Script tag: <script defer data-domain="{site.domain}" src="{host}/js/script.js"></script>',
                    # A browser's user agent: curl's own would be dropped as a bot after the 202.
                    f"  Try ingest: curl -X POST {host}/api/event -H 'Content-Type: text/plain' "
                    f"-H 'User-Agent: {BROWSER_USER_AGENT}' "
                    f'-d \'{{"domain":"{site.domain}","name":"pageview","url":"https://{site.domain}/"}}\'',
                    "",
                ]
            )
        )
