"""Processes the bench starts: the embedded broker, services, the bare ceilings; their RSS and CPU.

Services run exactly as in production (`python -m complaints.cli run <name>`), each in its own
process, with their working directory inside the run folder (faust keeps a data dir there).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx

from complaints.broker.embedded import free_port

ROOT = Path(__file__).resolve().parent.parent
PORT_ENV = {"intake": "INTAKE", "escalation": "ESCALATION", "recovery": "RECOVERY", "followup": "FOLLOWUP",
            "projections": "API", "console": "CONSOLE"}
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MiB (from /proc, no dependency)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE / 2**20
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by a process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0


@dataclass
class Proc:
    """One child process with a log file; `url` when it serves HTTP."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    cwd: Path
    port: int | None = None
    proc: subprocess.Popen[bytes] | None = None
    wrapped: bool = False  # started under a profiler: the service is the profiler's child

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The service's own process id (the profiler's child when wrapped)."""
        assert self.proc is not None
        if self.wrapped:
            try:
                with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                    children = f.read().split()
                if children:
                    return int(children[0])
            except OSError:
                pass
        return self.proc.pid

    def start(self) -> Proc:
        self.cwd.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except FileNotFoundError:
            return ""

    def wait_http(self, path: str = "/health", timeout: float = 60.0) -> Proc:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
            try:
                if httpx.get(self.url + path, timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready in {timeout}s:\n{self.tail()}")

    def rss_mb(self) -> float:
        return rss_mb(self.pid) if self.alive() else 0.0

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid) if self.alive() else 0.0

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        if self.wrapped and self.pid != self.proc.pid:
            os.kill(self.pid, sig)  # the profiler writes its output when its child exits
        else:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Services:
    """Services of the product, started like `complaints run <name>` with the bench's settings."""

    env: dict[str, str]
    folder: Path
    procs: dict[str, Proc] = field(default_factory=dict)
    wrap: list[str] = field(default_factory=list)  # e.g. a profiler command line put in front
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)  # per-service environment changes

    def start(self, *names: str, timeout: float = 60.0) -> Services:
        started = []
        for name in names:
            port = free_port()
            env = {**self.env, **self.overrides.get(name, {}), f"COMPLAINTS_{PORT_ENV[name]}_PORT": str(port)}
            argv = [*self.wrap_for(name), sys.executable, "-m", "complaints.cli", "run", name]
            proc = Proc(name, argv, env, self.folder / f"{name}.log", self.folder / "cwd", port,
                        wrapped=bool(self.wrap)).start()
            self.procs[name] = proc
            started.append(proc)
        for proc in started:
            proc.wait_http(timeout=timeout)
        return self

    def wrap_for(self, name: str) -> list[str]:
        return [a.replace("{name}", name) for a in self.wrap]

    def __getitem__(self, name: str) -> Proc:
        return self.procs[name]

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.alive():
                os.kill(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            proc.stop()

    def stats(self, name: str) -> dict[str, object]:
        """A worker's counters (`/stats` needs a token with stats:read: the bench signs an admin one)."""
        from complaints.auth.staff import Staff
        from complaints.auth.tokens import issue_dev_token
        from complaints.settings import Settings

        key = Path(self.env["COMPLAINTS_AUTH_DEV_KEY_FILE"])
        token = issue_dev_token(Settings(auth_dev_key_file=key), Staff(id="bench", roles=frozenset({"admin"})),
                                timedelta(minutes=5))
        return dict(httpx.get(f"{self.procs[name].url}/stats", headers={"authorization": f"Bearer {token}"},
                              timeout=10).json())


def py_spy() -> str | None:
    """The py-spy executable next to this Python, or on PATH (optional: `pip install py-spy`)."""
    import shutil

    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


def _record(spy: str, out: Path) -> list[str]:
    """py-spy recording CPU samples only (while holding the GIL), as collapsed stacks."""
    return [spy, "record", "--gil", "-r", "100", "-f", "raw", "-o", str(out)]


def profiler_wrap(folder: Path, prefix: str = "") -> list[str]:
    """A py-spy command line to put before a service's."""
    spy = py_spy()
    if spy is None:
        return []
    return [*_record(spy, folder / (prefix + "{name}.spy")), "--"]


@contextmanager
def profiling(pid: int, out: Path) -> Iterator[None]:
    """py-spy attached to a running process and its children (CPU samples only) while the block runs."""
    spy = py_spy()
    if spy is None:
        yield
        return
    proc = subprocess.Popen([*_record(spy, out), "--subprocesses", "--pid", str(pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # attached before the measured work starts
    try:
        yield
    finally:
        proc.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def service_env(*, bootstrap: str, database_url: str, projections_url: str, vault_url: str,
                policy: Path, partitions: int, auth_key_file: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    env.update({
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "COMPLAINTS_BROKER_PROFILE": "tansu",
        "COMPLAINTS_DATABASE_URL": database_url,
        "COMPLAINTS_PROJECTIONS_DATABASE_URL": projections_url,
        "COMPLAINTS_VAULT_URL": vault_url,
        "COMPLAINTS_PII_LOOKUP_SECRET": "bench-lookup-secret-0123456789",
        "COMPLAINTS_VAULT_MASTER_KEY": "bench:" + "A" * 43 + "=",
        "COMPLAINTS_INTAKE_RATE_LIMIT": "off",  # the bench is one client sending thousands per second
        "COMPLAINTS_POLICY_FILE": str(policy),
        "COMPLAINTS_PARTITIONS": str(partitions),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
    })
    if auth_key_file is not None:  # staff endpoints verify tokens signed with it (bench.lifecycle.staff_headers)
        env["COMPLAINTS_AUTH_DEV_KEY_FILE"] = str(auth_key_file)
    return env
