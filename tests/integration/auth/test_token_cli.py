"""`complaints token`: prints a token the services accept; refuses what is not a staff identity."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jwt

from complaints.auth.tokens import Verifier, create_dev_key
from complaints.settings import Settings


def run(key: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COMPLAINTS_AUTH_DEV_KEY_FILE": str(key)}
    return subprocess.run([sys.executable, "-m", "complaints.cli", "token", *args], env=env, capture_output=True,
                          text=True, timeout=60)


def test_the_printed_token_carries_the_options_and_verifies(tmp_path: Path) -> None:
    key = create_dev_key(tmp_path / "key.pem")
    done = run(key, "--sub", "fin-7", "--level", "department", "--department", "finance", "--department", "hr",
               "--role", "agent", "--role", "lead", "--ttl", "15m")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    staff = Verifier(Settings(auth_dev_key_file=key)).verify(token)
    assert (staff.id, staff.level, staff.departments, staff.roles) == (
        "fin-7", "department", frozenset({"finance", "hr"}), frozenset({"agent", "lead"}))
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 15 * 60


def test_the_role_defaults_to_agent_and_bad_options_or_no_key_are_refused(tmp_path: Path) -> None:
    key = create_dev_key(tmp_path / "key.pem")
    plain = Verifier(Settings(auth_dev_key_file=key)).verify(run(key, "--sub", "ana", "--level", "front_line")
                                                              .stdout.strip())
    assert plain.roles == frozenset({"agent"}) and plain.departments == frozenset()
    bad = run(key, "--sub", "ana", "--level", "boss")
    assert bad.returncode == 2 and "--level" in bad.stderr
    ttl = run(key, "--sub", "ana", "--level", "manager", "--ttl", "forever")
    assert ttl.returncode == 2 and "--ttl" in ttl.stderr
    missing = run(tmp_path / "none.pem", "--sub", "ana", "--level", "manager")
    assert missing.returncode == 1 and "complaints dev" in missing.stderr and not missing.stdout
