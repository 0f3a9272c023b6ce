"""Run services as real processes (as `complaints run <name>` does in production) for tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from complaints.broker.embedded import free_port
from complaints.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FAST_POLICY = ROOT / "tests" / "policies" / "fast.yaml"
PORT_ENV = {"intake": "INTAKE", "escalation": "ESCALATION", "recovery": "RECOVERY", "followup": "FOLLOWUP",
            "projections": "API", "notifier": "NOTIFIER", "console": "CONSOLE"}


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def service_env(settings: Settings, policy: Path = FAST_POLICY) -> dict[str, str]:
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "COMPLAINTS_BROKER_PROFILE": settings.broker_profile,
        "COMPLAINTS_DATABASE_URL": settings.database_url,
        "COMPLAINTS_PROJECTIONS_DATABASE_URL": settings.projections_database_url,
        "COMPLAINTS_VAULT_URL": settings.vault_url,
        "COMPLAINTS_PII_LOOKUP_SECRET": _secret(settings.pii_lookup_secret),
        "COMPLAINTS_VAULT_MASTER_KEY": _secret(settings.vault_master_key),
        "COMPLAINTS_CUSTOMER_LINK_SECRET": _secret(settings.customer_link_secret),
        "COMPLAINTS_INTAKE_RATE_LIMIT": settings.intake_rate_limit,
        "COMPLAINTS_PROJECTIONS_READ_WAIT_S": str(settings.projections_read_wait_s),
        "COMPLAINTS_POLICY_FILE": str(policy),
        "COMPLAINTS_TOPIC_PREFIX": settings.topic_prefix,
        "COMPLAINTS_ACCESS_LOG_URL": settings.access_log_url,
        "COMPLAINTS_AUTH_MODE": settings.auth_mode,
        "COMPLAINTS_AUTH_DEV_KEY_FILE": str(settings.auth_dev_key_file),
        "COMPLAINTS_LIVENESS_BOUND_S": str(settings.liveness_bound_s),
    }


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceProcess:
        env = {**self.env, f"COMPLAINTS_{PORT_ENV[self.name]}_PORT": str(self.port)}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "complaints.cli", "run", self.name],
                                         env=env, stdout=out, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout: float = 40.0) -> ServiceProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready in {timeout}s:\n{self.log.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.wait_exit()

    def wait_exit(self) -> None:
        """Wait for the signalled process to exit (15 s at most, then SIGKILL)."""
        assert self.proc is not None
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def stats(self) -> dict[str, Any]:
        from complaints.settings import Settings
        from tests.tokens import bearer

        settings = Settings(auth_dev_key_file=Path(self.env["COMPLAINTS_AUTH_DEV_KEY_FILE"]))
        admin = bearer(settings, "tests", roles=["admin"])
        return dict(httpx.get(f"{self.url}/stats", headers=admin, timeout=5).json())


@dataclass
class Stack:
    settings: Settings
    logs: Path
    policy: Path = FAST_POLICY
    services: dict[str, ServiceProcess] = field(default_factory=dict)

    def start(self, *names: str) -> Stack:
        env = service_env(self.settings, self.policy)
        started = [ServiceProcess(n, free_port(), env, self.logs / f"{n}.log").start() for n in names]
        for svc in started:
            self.services[svc.name] = svc.wait_ready()
        return self

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    def stop(self) -> None:
        """SIGTERM to every service at once, then wait for each: they shut down side by side."""
        running = [svc for svc in self.services.values() if svc.proc and svc.proc.poll() is None]
        for svc in running:
            assert svc.proc is not None
            svc.proc.send_signal(signal.SIGTERM)
        for svc in running:
            svc.wait_exit()
