"""The move of sites, members, keys and share links into the sites app keeps every row and every link."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sites.models import ApiKey, Membership, ShareLink, Site
from tracker.models import Event, Session

BEFORE = [("tracker", "0009_site_domain_validator"), ("sites", None)]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([target for target in targets if target[1]]).apps


@pytest.mark.django_db(transaction=True)
def test_a_populated_database_keeps_its_sites_members_keys_links_and_data():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrate(BEFORE)
    try:
        user = old.get_model("auth", "User").objects.create(username="keeper")
        site = old.get_model("tracker", "Site").objects.create(domain="kept.example", timezone="Europe/Berlin")
        other = old.get_model("tracker", "Site").objects.create(domain="other.example")
        old.get_model("tracker", "Membership").objects.create(user=user, site=site, role="owner")
        key = old.get_model("tracker", "ApiKey").objects.create(
            user=user, name="narrow", prefix="abcd1234", secret_hash="0" * 64, scopes=["stats:read"]
        )
        key.sites.set([site, other])
        old.get_model("tracker", "ShareLink").objects.create(site=site, token="t" * 32)
        moment = datetime(2026, 11, 20, tzinfo=UTC)
        session = old.get_model("tracker", "Session").objects.create(
            site=site, visitor_hash=7, started=moment, last_seen=moment, source="Google"
        )
        old.get_model("tracker", "Event").objects.create(
            uuid="12345678-1234-5678-1234-567812345678",
            site=site,
            session=session,
            name="pageview",
            timestamp=moment,
            path="/",
            url="https://kept.example/",
            visitor_hash=7,
        )
        ContentType.objects.get_or_create(app_label="tracker", model="site")
    finally:
        migrate(latest)

    site = Site.objects.get(domain="kept.example")
    assert site.timezone == "Europe/Berlin"
    assert Membership.objects.get(site=site).user.username == "keeper"
    key = ApiKey.objects.get(prefix="abcd1234")
    assert {s.domain for s in key.sites.all()} == {"kept.example", "other.example"}
    assert ShareLink.objects.get(site=site).token == "t" * 32
    session = Session.objects.get(site=site)
    assert session.referrer_source == "Google"
    assert Event.objects.get(site=site).session_id == session.id
    assert ContentType.objects.filter(app_label="sites", model="site").count() == 1
    assert not ContentType.objects.filter(app_label="tracker", model="site").exists()
    tables = connection.introspection.table_names()
    assert {"sites_site", "sites_membership", "sites_apikey", "sites_apikey_sites", "sites_sharelink"} <= set(tables)
    assert "tracker_site" not in tables
