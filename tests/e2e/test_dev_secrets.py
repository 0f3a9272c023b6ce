"""`complaints dev` runs on secrets of its own, kept where the vault commands can use them."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

from complaints.pii.secrets import PUBLIC_VALUES, new_master_key
from tests.e2e.test_dev_stack import start_dev_stack


def test_the_dev_stack_generates_its_secrets_and_the_vault_commands_use_them(tmp_path: Path) -> None:
    ports, proc = start_dev_stack(tmp_path)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "stack ready in" not in proc.stdout.readline():
            pass
        reply = httpx.post(f"http://127.0.0.1:{ports['INTAKE']}/complaints", json={
            "channel": "web", "customer": {"email": "dev@example.com"}, "description": "The checkout page hangs"})
        assert reply.status_code == 202, reply.text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)

    secrets_file = tmp_path / "dev" / "secrets.env"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    values = dict(line.split("=", 1) for line in secrets_file.read_text().splitlines())
    assert values["COMPLAINTS_PII_LOOKUP_SECRET"] not in PUBLIC_VALUES
    assert values["COMPLAINTS_VAULT_MASTER_KEY"].startswith("dev:")
    assert values["COMPLAINTS_VAULT_MASTER_KEY"] not in PUBLIC_VALUES

    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    env.update(values, COMPLAINTS_VAULT_MASTER_KEY=new_master_key("mk-2"),
               COMPLAINTS_VAULT_PREVIOUS_MASTER_KEYS=values["COMPLAINTS_VAULT_MASTER_KEY"])
    out = subprocess.run([sys.executable, "-m", "complaints.cli", "rotate-master-key"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "re-wrapped 1 customer key(s) under master key 'mk-2': 1 from dev" in out.stdout
