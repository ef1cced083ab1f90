"""Run the test provider: `python -m tests.oidc_provider_site.serve PORT REDIRECT_URI CLIENT_ID CLIENT_SECRET`
with PROVIDER_DATABASE (a SQLite file) in the environment. It makes a fresh RSA key, migrates, adds the
people (PEOPLE, password PASSWORD) and the client, then serves until killed."""

from __future__ import annotations

import os
import sys

import django
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PASSWORD = "provider-pass-1"
# username -> (email, whether the provider verified it, groups)
PEOPLE = {
    "alice": ("alice@corp.example", True, ["analytics"]),
    "bob": ("bob@elsewhere.example", True, []),
    "mallory": ("owner@example.com", False, ["analytics"]),
}


def _key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _populate(redirect_uri: str, client_id: str, client_secret: str) -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    for username, (email, _, _) in PEOPLE.items():
        User.objects.create_user(username, email=email, password=PASSWORD)
    Application.objects.create(
        name="Footfall",
        client_id=client_id,
        client_secret=client_secret,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )


def main(port: int, redirect_uri: str, client_id: str, client_secret: str) -> None:
    os.environ["PROVIDER_RSA_KEY"] = _key()
    os.environ["PROVIDER_ISSUER"] = f"http://127.0.0.1:{port}/o"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider_site.settings"
    django.setup()
    _populate(redirect_uri, client_id, client_secret)
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application

    run("127.0.0.1", port, get_wsgi_application(), threading=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4])
