"""deploy/nginx/footfall.conf and deploy/footfall.env.example agree with each other and with the web unit."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX = (ROOT / "deploy" / "nginx" / "footfall.conf").read_text()
ENV = (ROOT / "deploy" / "footfall.env.example").read_text()
WEB = (ROOT / "deploy" / "systemd" / "footfall-web.service").read_text()


def env_values() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in ENV.splitlines() if line and not line.startswith("#"))
    return {name: value for name, value in pairs}


def test_nginx_proxies_to_the_address_gunicorn_binds():
    bind = re.search(r"--bind (\S+)", WEB)
    assert bind is not None
    assert f"server {bind.group(1)};" in NGINX


def test_one_proxy_appends_the_client_and_footfall_trusts_one_hop():
    """nginx appends the address it saw; Footfall takes exactly that last entry, never one a client wrote."""
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in NGINX
    assert env_values()["TRUSTED_PROXY_HOPS"] == "1"
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in NGINX


def test_nginx_keeps_metrics_and_addresses_to_itself():
    assert "location = /metrics { return 404; }" in NGINX
    assert "access_log off;" in NGINX


def test_env_example_uses_the_production_settings():
    values = env_values()
    assert values["DJANGO_SETTINGS_MODULE"] == "analytics_site.settings.production"
    assert "127.0.0.1" in values["ALLOWED_HOSTS"].split(","), "the probes on this machine ask for 127.0.0.1"
