"""deploy/nginx/footfall.conf and deploy/footfall.env.example agree with each other and with the web unit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

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


def test_nginx_accepts_the_site(tmp_path):
    """`nginx -t` on the site inside a minimal nginx.conf, with a throwaway certificate (skipped without
    nginx; NGINX names a binary elsewhere)."""
    nginx = os.environ.get("NGINX") or shutil.which("nginx")
    openssl = shutil.which("openssl")
    if not nginx or not openssl:
        pytest.skip("nginx or openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    certificate = ["-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=stats.example.com"]
    subprocess.run(
        [openssl, "req", *certificate, "-keyout", str(key), "-out", str(cert)], capture_output=True, check=True
    )
    site = NGINX.replace("/etc/letsencrypt/live/stats.example.com/fullchain.pem", str(cert)).replace(
        "/etc/letsencrypt/live/stats.example.com/privkey.pem", str(key)
    )
    (tmp_path / "site.conf").write_text(site)
    temp = " ".join(
        f"{kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        f"http {{ {temp} access_log off; include {tmp_path}/site.conf; }}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
