"""The first-run command behind `make run`."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from sites.models import Membership, Site

pytestmark = pytest.mark.django_db


def test_bootstrap_creates_admin_and_demo_site_once(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("bootstrap", "--host", "http://127.0.0.1:9000")
    call_command("bootstrap", "--host", "http://127.0.0.1:9000")
    out = capsys.readouterr().out
    password = (tmp_path / "admin_password").read_text().strip()
    assert f"admin / {password}" in out
    assert '<script defer data-domain="demo.footfall.test" src="http://127.0.0.1:9000/js/script.js"></script>' in out
    user = get_user_model().objects.get(username="admin")
    assert user.check_password(password)
    assert Site.objects.get().domain == "demo.footfall.test"
    assert Membership.objects.get().role == Membership.Role.OWNER


def test_quiet_prints_nothing(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("bootstrap", "--quiet")
    assert capsys.readouterr().out == ""
