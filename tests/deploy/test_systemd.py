"""deploy/systemd/: the units pass `systemd-analyze verify`, with the install directory /opt/footfall
pointed at this checkout so that their commands exist."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
INSTALL_DIR = "/opt/footfall"


@pytest.fixture
def analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip("systemd-analyze is not installed")
    return found


def verify(analyze: str, unit: Path, tmp_path: Path, *, text: str | None = None) -> subprocess.CompletedProcess[str]:
    copy = tmp_path / unit.name
    copy.write_text((text or unit.read_text()).replace(INSTALL_DIR, str(ROOT)))
    return subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60, check=False)


def test_web_worker_and_beat_have_a_unit():
    assert [unit.name for unit in UNITS] == ["footfall-beat.service", "footfall-web.service", "footfall-worker.service"]


@pytest.mark.parametrize("unit", UNITS, ids=[unit.name for unit in UNITS])
def test_unit_verifies(analyze, unit, tmp_path):
    result = verify(analyze, unit, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == "", result.stderr


def test_verify_catches_a_broken_unit(analyze, tmp_path):
    """The check above means something: a command that does not exist fails it."""
    unit = UNITS[0]
    broken = unit.read_text().replace("/.venv/bin/celery", "/.venv/bin/no-such-command")
    assert verify(analyze, unit, tmp_path, text=broken).returncode != 0


@pytest.mark.parametrize("unit", UNITS, ids=[unit.name for unit in UNITS])
def test_units_run_as_footfall_with_the_settings_file(unit):
    text = unit.read_text()
    for line in ("User=footfall", "EnvironmentFile=/etc/footfall/footfall.env", "ReadWritePaths=/var/lib/footfall"):
        assert line in text
    command = re.search(r"^ExecStart=(\S+)", text, re.MULTILINE)
    assert command is not None
    assert command.group(1).startswith(INSTALL_DIR + "/.venv/bin/")


def test_footfall_manage_is_a_valid_executable_script():
    script = ROOT / "deploy" / "footfall-manage"
    assert script.stat().st_mode & 0o111
    result = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    units = [unit.read_text() for unit in UNITS]
    assert all("EnvironmentFile=/etc/footfall/footfall.env" in text for text in units)
    assert "/etc/footfall/footfall.env" in script.read_text(), "the same settings as the units"
