"""factory_boy factories for the models tests need."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import factory
from django.contrib.auth import get_user_model

from imports.models import Import, ImportedStat
from sites.models import Membership, Site
from tracker.models import Event, Session

TIME_ZERO = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    domain = factory.Sequence(lambda n: f"site{n}.example")
    name = factory.LazyAttribute(lambda s: s.domain)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    site = factory.SubFactory(SiteFactory)
    role = Membership.Role.OWNER


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    site = factory.SubFactory(SiteFactory)
    visitor_hash = factory.Sequence(lambda n: n + 1)
    started = TIME_ZERO
    last_seen = TIME_ZERO
    entry_path = "/"
    exit_path = "/"
    pageviews = 1
    events = 1


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    uuid = factory.LazyFunction(uuid.uuid4)
    site = factory.SubFactory(SiteFactory)
    name = "pageview"
    timestamp = TIME_ZERO
    hostname = factory.LazyAttribute(lambda e: e.site.domain)
    path = "/"
    url = factory.LazyAttribute(lambda e: f"https://{e.site.domain}{e.path}")
    visitor_hash = 1


class ImportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Import

    site = factory.SubFactory(SiteFactory)
    format = "plausible"
    file_name = factory.Sequence(lambda n: f"export-{n}.zip")
    content_hash = factory.Sequence(lambda n: f"{n:064x}")
    status = Import.Status.DONE


class ImportedStatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportedStat

    job = factory.SubFactory(ImportFactory)
    site = factory.LazyAttribute(lambda row: row.job.site)
    day = TIME_ZERO.date()
    dimension = ""
    value = ""
