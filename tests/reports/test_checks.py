"""The deployment check of PUBLIC_URL."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from reports.checks import public_url_check


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost", "http://[::1]:8000/"])
def test_a_deployment_with_a_local_public_url_is_warned(settings, url):
    settings.DEBUG, settings.PUBLIC_URL = False, url
    assert [message.id for message in public_url_check()] == ["reports.W001"]


@pytest.mark.parametrize(("debug", "url"), [(False, "https://stats.example.com"), (True, "http://127.0.0.1:8000")])
def test_a_public_address_or_a_development_server_is_not_warned(settings, debug, url):
    settings.DEBUG, settings.PUBLIC_URL = debug, url
    assert public_url_check() == []


def test_manage_check_deploy_reports_it(settings):
    settings.DEBUG, settings.PUBLIC_URL = False, "http://127.0.0.1:8000"
    with pytest.raises(SystemCheckError, match=r"reports\.W001"):
        call_command("check", "--deploy", "--fail-level", "WARNING")
