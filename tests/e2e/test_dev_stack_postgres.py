"""`complaints dev --postgres`: compose's topology as local processes — every store on PostgreSQL
(fresh schemas, dropped on Ctrl-C), two replicas of each worker and of projections (one writes)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from complaints.broker.embedded import free_port
from complaints.topology import REPLICAS
from tests.conftest import PG_URL, require_postgres

NAMES = ("API", "INTAKE", "ESCALATION", "RECOVERY", "FOLLOWUP", "NOTIFIER", "BROKER", "SMTP")


def schemas(prefix: str) -> set[str]:
    engine = create_engine(PG_URL)
    with engine.connect() as conn:
        found = {r[0] for r in conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
                                            {"p": f"{prefix}%"})}
    engine.dispose()
    return found


@pytest.mark.postgres
@pytest.mark.timeout(150)
def test_dev_postgres_runs_the_replicated_topology_on_postgresql_and_cleans_up(tmp_path: Path) -> None:
    require_postgres()
    ports = {name: free_port() for name in NAMES}
    env = {**os.environ, **{f"COMPLAINTS_{k}_PORT": str(v) for k, v in ports.items()}}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    proc = subprocess.Popen([sys.executable, "-m", "complaints.cli", "dev", "--data-dir", str(tmp_path / "dev"),
                             "--postgres", PG_URL], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, "dev stack exited early:\n" + "".join(lines)
            lines.append(line)
            if "stack ready in" in line:
                break
        out = "".join(lines)
        urls = dict(re.findall(r"^(\w+-\d) +(http://\S+)", out, flags=re.MULTILINE))
        assert sorted(urls) == sorted(f"{s}-{i}" for s, n in REPLICAS.items() for i in range(1, n + 1)), out
        assert not list((tmp_path / "dev").glob("*.db")), "no SQLite file: every store is on PostgreSQL"
        roles = sorted(httpx.get(f"{urls[f'projections-{i}']}/health", timeout=5).json()["role"] for i in (1, 2))
        assert roles == ["reader", "writer"]
        reply = httpx.post(f"{urls['intake-1']}/complaints", json={
            "channel": "web", "customer": {"email": "pg@example.com"}, "description": "The sandwich was wrong"})
        assert reply.status_code == 202
        prefix = re.search(r"schemas (dev_\w+?)_\*", out)
        assert prefix, out
        created = schemas(prefix.group(1) + "_")
        assert len(created) == 3, "one schema per store: the services' state, the read model, the vault"
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest[-3000:]
    assert not schemas(prefix.group(1) + "_"), "Ctrl-C drops the run's schemas"
