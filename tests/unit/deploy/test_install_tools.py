"""scripts/install-tools.sh: valid shell, and everything the deploy tests need is installed."""

from __future__ import annotations

import subprocess

from tests.unit.deploy.tools import ROOT, clean_env

SCRIPT = ROOT / "scripts" / "install-tools.sh"


def test_script_is_valid_bash() -> None:
    out = subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr


def test_every_tool_is_installed() -> None:
    """`--check` installs nothing; it exits 1 naming what is missing."""
    out = subprocess.run(["bash", str(SCRIPT), "--check"], capture_output=True, text=True, timeout=60, env=clean_env())
    assert out.returncode == 0, f"{out.stderr.strip()}: run scripts/install-tools.sh"
