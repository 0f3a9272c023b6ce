"""The README's run command: the whole stack up, a complaint accepted, Ctrl-C leaves nothing behind."""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from complaints.broker.embedded import free_port, port_open
from complaints.devstack import available_services


def start_dev_stack(tmp_path: Path) -> tuple[dict[str, int], subprocess.Popen[str]]:
    """`complaints dev` on free ports (what `./scripts/dev` runs), its output piped."""
    ports = {name: free_port() for name in ("API", "INTAKE", "ESCALATION", "RECOVERY", "FOLLOWUP", "NOTIFIER",
                                            "CONSOLE", "BROKER", "SMTP")}
    env = {**os.environ, **{f"COMPLAINTS_{k}_PORT": str(v) for k, v in ports.items()}}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    proc = subprocess.Popen([sys.executable, "-m", "complaints.cli", "dev", "--data-dir", str(tmp_path / "dev")],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return ports, proc


def test_dev_stack_starts_serves_and_stops_cleanly(tmp_path: Path) -> None:
    ports, proc = start_dev_stack(tmp_path)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, "dev stack exited early:\n" + "".join(lines)
            lines.append(line)
            if "stack ready in" in line:
                break
        ready = re.search(r"stack ready in ([0-9.]+)s", "".join(lines))
        # How fast it starts is the bench's `startup` phase (bench/startup.py), not a timed assertion here.
        assert ready and float(ready.group(1)) > 0, "".join(lines)
        for svc in available_services():
            assert svc.name in "".join(lines)
        reply = httpx.post(f"http://127.0.0.1:{ports['INTAKE']}/complaints", json={
            "channel": "web", "customer": {"email": "dev@example.com"}, "description": "The checkout page hangs"})
        assert reply.status_code == 202
        mail = tmp_path / "dev" / "mail"  # the README's "where to look": every email as an .eml file
        deadline = time.monotonic() + 30
        while len(list(mail.glob("*.eml"))) < 2 and time.monotonic() < deadline:  # received, then the offer
            time.sleep(0.2)
        first, second = (email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                         for p in sorted(mail.glob("*.eml"))[:2])
        assert first["To"] == second["To"] == "dev@example.com"
        assert str(first["Subject"]).startswith("We have your complaint")
        assert str(second["Subject"]).startswith("How we would like to put it right")
        link = re.search(r"http://\S+/c/\S+", str(second.get_body(("plain",)).get_content()))  # type: ignore[union-attr]
        assert link and link.group(0).startswith(f"http://127.0.0.1:{ports['NOTIFIER']}/c/")
        assert "Accept this offer" in httpx.get(link.group(0), timeout=5).text  # the customer's page opens
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    for port in ports.values():
        assert not port_open("127.0.0.1", port), f"port {port} still open after Ctrl-C"


def test_nothing_outlives_a_dev_stack_that_is_killed_outright(tmp_path: Path) -> None:
    ports, proc = start_dev_stack(tmp_path)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "stack ready in" not in proc.stdout.readline():
        pass
    proc.kill()  # SIGKILL: no chance to clean up; the children must stop by themselves
    proc.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(port_open("127.0.0.1", p) for p in ports.values()):
        time.sleep(0.2)
    assert not [p for p in ports.values() if port_open("127.0.0.1", p)]
