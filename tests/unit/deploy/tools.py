"""Find the external tools of the deploy tests (installed by scripts/install-tools.sh).

A missing tool FAILS the test (never skips it) with the one command that fixes it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
TOOLS = ROOT / ".tools"
TOOLS_BIN = TOOLS / "bin"
NODE_MODULES = TOOLS / "node" / "node_modules"
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
ASYNCAPI = ROOT / "schemas" / "asyncapi.yaml"
FIX = "run scripts/install-tools.sh (it installs the deploy test tools into .tools/ and kcat via apt)"


def missing(what: str) -> None:
    pytest.fail(f"{what} is not installed: {FIX}", pytrace=False)


def tool(name: str) -> str:
    """Path of a tool: the pinned copy in .tools/bin first, then PATH."""
    pinned = TOOLS_BIN / name
    if pinned.is_file() and os.access(pinned, os.X_OK):
        return str(pinned)
    found = shutil.which(name)
    if not found:
        missing(name)
    return str(found)


@cache
def compose_bin() -> str:
    """Docker Compose v2 (the Compose Specification's reference implementation)."""
    path = tool("docker-compose")
    out = subprocess.run([path, "version", "--short"], capture_output=True, text=True, timeout=30)
    if out.returncode != 0 or not out.stdout.strip().lstrip("v").startswith("2."):
        missing(f"Docker Compose v2 (found {path}: {out.stdout.strip() or out.stderr.strip()})")
    return path


def node_bin() -> str:
    node = shutil.which("node")
    if not node:
        missing("node")
    if not (NODE_MODULES / "@asyncapi" / "parser").is_dir():
        missing("@asyncapi/parser")
    return str(node)


def clean_env(**extra: str) -> dict[str, str]:
    """A minimal environment: the host's KAFKA_*/COMPLAINTS_* must not leak into compose interpolation."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    env.update(extra)
    return env


def run_compose(
    args: list[str], *, env_file: Path, compose_file: Path = COMPOSE_FILE, check: bool = True
) -> subprocess.CompletedProcess[str]:
    cmd = [compose_bin(), "--env-file", str(env_file), "-f", str(compose_file), *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=clean_env())
    if check and out.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr}", pytrace=False)
    return out


def compose_model(env_file: Path) -> dict[str, Any]:
    """The compose file as Docker Compose itself resolves it (anchors, merges, interpolation)."""
    out = run_compose(["config", "--format", "json"], env_file=env_file)
    return json.loads(out.stdout)  # type: ignore[no-any-return]
