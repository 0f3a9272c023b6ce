"""`complaints dev`: the whole local stack on the embedded broker, in one command.

Starts Tansu on loopback, creates the topics, starts every service as its own
process (as in production), waits until each answers /health, prints the URLs
(each service's, then each one's `/metrics`) and the start-to-ready time, and on Ctrl-C stops everything, broker last.
The embedded broker keeps data in memory only, so each run starts from a fresh
data folder (`var/dev/`): databases from an earlier log would not match.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

from complaints.auth.tokens import create_dev_key
from complaints.broker.embedded import EmbeddedBroker, die_with_parent, port_open, start_broker
from complaints.mailsink import start_mail_sink
from complaints.settings import Settings
from complaints.topics import ensure_topics
from complaints.topology import plan, postgres_stores


@dataclass(frozen=True)
class Service:
    name: str
    module: str  # module with a `main()` that runs the service in the foreground
    port_setting: str
    title: str


SERVICES: tuple[Service, ...] = (
    Service("projections", "services.projections.app", "api_port", "support API (case views, queues, KPIs)"),
    Service("intake", "services.intake.app", "intake_port", "intake API"),
    Service("escalation", "services.escalation.app", "escalation_port", "escalation worker"),
    Service("recovery", "services.recovery.app", "recovery_port", "recovery worker"),
    Service("followup", "services.followup.app", "followup_port", "follow-up worker"),
    Service("notifier", "services.notifier.app", "notifier_port", "notifier: emails, webhooks, the customer's page"),
    Service("console", "services.console.app", "console_port", "staff console: sign in as demo staff (a browser)"),
)


def available_services() -> list[Service]:
    """Services whose wiring module exists in this checkout."""
    import importlib.util

    return [s for s in SERVICES if importlib.util.find_spec(s.module) is not None]


def metrics_url(settings: Settings, svc: Service) -> str:
    return f"http://{settings.host}:{getattr(settings, svc.port_setting)}/metrics"


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with code {proc.returncode} before it was ready")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not healthy in time")


def _stop(procs: list[subprocess.Popen[bytes]], broker: EmbeddedBroker | None) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if broker:
        broker.stop()


def dev_secrets(data_dir: Path) -> dict[str, str]:
    """Fresh secrets for this run (its vault is fresh too), kept in `<data_dir>/secrets.env` (mode 600)
    so commands such as `complaints erase-customer` can be pointed at this stack."""
    from complaints.pii.secrets import new_master_key, new_secret

    secrets = {"COMPLAINTS_PII_LOOKUP_SECRET": new_secret(), "COMPLAINTS_VAULT_MASTER_KEY": new_master_key("dev"),
               "COMPLAINTS_CUSTOMER_LINK_SECRET": new_secret(), "COMPLAINTS_CONSOLE_SESSION_SECRET": new_secret()}
    path = data_dir / "secrets.env"
    path.touch(mode=0o600)
    lines = {**secrets, "COMPLAINTS_VAULT_URL": f"sqlite:///{data_dir}/vault.db"}
    path.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
    return secrets
def _shown(path: Path) -> str:
    """`path` relative to the working directory when inside it (what a reader would type)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _hidden(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def replica_port(settings: Settings, service: str, index: int) -> int:
    """Replica 1 on the configured port, replica n on that port + 100·(n-1) (`--postgres`)."""
    svc = next(s for s in SERVICES if s.name == service)
    return int(getattr(settings, svc.port_setting)) + 100 * (index - 1)


def run_dev(settings: Settings, data_dir: Path, timeout: float = 60.0, postgres: str | None = None) -> None:
    """`postgres`: the production-like topology (complaints/topology.py) with every store there."""
    started = time.monotonic()
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the stack as cleanly as Ctrl-C
    signal.signal(signal.SIGINT, _interrupt)  # Ctrl-C even when started in the background (which ignores SIGINT)
    names = [s.name for s in available_services()]
    replicas = plan(names, lambda s, i: replica_port(settings, s, i), None if postgres else dict.fromkeys(names, 1))
    for r in replicas:
        if port_open(settings.host, r.port):
            raise SystemExit(f"port {r.port} ({r.name}) is in use; set COMPLAINTS_{r.service.upper()}_PORT"
                             if r.index == 1 else f"port {r.port} ({r.name}) is in use")
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    if port_open(settings.smtp_host, settings.smtp_port):
        raise SystemExit(f"port {settings.smtp_port} (mail sink) is in use; set COMPLAINTS_SMTP_PORT")
    mail_dir = data_dir / "mail"
    sink = start_mail_sink(mail_dir, settings.smtp_host, settings.smtp_port)  # every email lands in var/dev/mail/
    key = create_dev_key(data_dir / "auth-signing-key.pem")  # `complaints token` signs with it
    broker = start_broker(settings.broker_port, tied_to_parent=True)
    procs: list[subprocess.Popen[bytes]] = []
    stores = ExitStack()
    env = {
        **os.environ,
        **dev_secrets(data_dir),
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "COMPLAINTS_BROKER_PROFILE": "tansu",
        "COMPLAINTS_PROJECTIONS_DATABASE_URL": f"sqlite:///{data_dir}/projections.db",
        "COMPLAINTS_VAULT_URL": f"sqlite:///{data_dir}/vault.db",
        "COMPLAINTS_SMTP_HOST": settings.smtp_host,
        "COMPLAINTS_SMTP_PORT": str(settings.smtp_port),
        # the links in emails open the notifier of this stack, whatever its port
        "COMPLAINTS_CUSTOMER_URL": os.environ.get("COMPLAINTS_CUSTOMER_URL")
        or f"http://{settings.host}:{settings.notifier_port}",
        "COMPLAINTS_ACCESS_LOG_URL": f"sqlite:///{data_dir}/access-log.db",
        "COMPLAINTS_AUTH_MODE": "dev",
        "COMPLAINTS_AUTH_DEV_KEY_FILE": str(key),
        # the console: demo staff sign-in, and this stack's services whatever their ports
        "COMPLAINTS_CONSOLE_DEMO_SIGNIN": "true",
        **{f"COMPLAINTS_CONSOLE_{name.upper()}_URL": f"http://{settings.host}:{getattr(settings, port)}"
           for name, port in (("projections", "api_port"), ("escalation", "escalation_port"),
                              ("recovery", "recovery_port"), ("followup", "followup_port"))},
    }
    try:
        ensure_topics(settings.model_copy(update={"kafka_bootstrap_servers": broker.bootstrap}))
        prefix = f"dev_{os.getpid()}_{settings.broker_port}"
        on_postgres = stores.enter_context(postgres_stores(postgres, prefix)) if postgres else {}
        for r in replicas:
            # Each service its own state file, as each has its own database in production: with
            # one shared SQLite file every service waited on the others' write lock (bench/RESULTS.md).
            own = {**env, "COMPLAINTS_DATABASE_URL": f"sqlite:///{data_dir}/{r.service}.db", **on_postgres,
                   **r.env()}
            procs.append(subprocess.Popen([sys.executable, "-m", "complaints.cli", "run", r.service],
                                          env=own, start_new_session=True, preexec_fn=die_with_parent))
        deadline = time.monotonic() + timeout
        for r, proc in zip(replicas, procs, strict=True):
            _wait_healthy(f"http://{settings.host}:{r.port}/health", proc, deadline)
        ready = time.monotonic() - started
        print(f"broker      kafka://{broker.bootstrap}  (embedded Tansu, memory only)")
        print(f"mail        smtp://{settings.smtp_host}:{settings.smtp_port}  every email as a file in {mail_dir}/")
        if postgres:
            print(f"{'postgres':<11} {_hidden(postgres)}  schemas {prefix}_*, dropped on exit")
        titles = {s.name: s.title for s in SERVICES}
        for r in replicas:
            label = r.service if len(replicas) == len(names) else r.name
            print(f"{label:<13} http://{settings.host}:{r.port}  {titles[r.service]}")
        for r in replicas:  # Prometheus text format, one URL per service
            print(f"{'metrics':<11} http://{settings.host}:{r.port}/metrics  {r.name}")
        print(f"{'tokens':<11} complaints token --sub <id> --level <level>  (signing key {_shown(key)})")
        print(f"stack ready in {ready:.1f}s — Ctrl-C stops everything", flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        failed = [r.name for r, p in zip(replicas, procs, strict=True) if p.poll() is not None]
        raise SystemExit(f"service(s) exited: {', '.join(failed)}")
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    finally:
        _stop(procs, broker)
        stores.close()
        sink.stop()
        print("stopped", flush=True)
