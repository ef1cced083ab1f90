"""The client address never reaches the database: every table is dumped and searched."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core import serializers

from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

KNOWN_IPS = ("203.0.113.77", "2001:db8::77")


def dump_everything() -> str:
    rows = []
    for model in apps.get_models():
        rows.append(serializers.serialize("json", model.objects.all()))
    return "\n".join(rows)


def test_no_table_holds_the_client_address(client, geoip_db, settings, caplog):
    settings.TRUSTED_PROXY_HOPS = 1
    SiteFactory(domain="private.example")
    body = json.dumps({"domain": "private.example", "name": "pageview", "url": "https://private.example/"})
    for ip in KNOWN_IPS:
        response = client.post(
            "/api/event",
            data=body,
            content_type="text/plain",
            headers={"X-Forwarded-For": ip, "User-Agent": "Mozilla/5.0 Firefox/132.0"},
        )
        assert response.status_code == 202
    dump = dump_everything()
    assert '"country": "DE"' in dump
    assert '"country": "FR"' in dump
    for ip in KNOWN_IPS:
        assert ip not in dump
        assert ip not in caplog.text
