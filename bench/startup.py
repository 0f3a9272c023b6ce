"""Stack start: `complaints dev` (the README's run command) to every service ready.

The figure is the command's own "stack ready in N s" line; the bench stops the stack with
SIGINT (Ctrl-C) after each run, as a person would.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

from bench.context import Figure, Run
from complaints.broker.embedded import free_port

TARGET_S = 10.0


def one(run: Run, i: int) -> float:
    ports = {name: free_port() for name in ("API", "INTAKE", "ESCALATION", "RECOVERY", "FOLLOWUP", "BROKER")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_") and k != "KAFKA_BOOTSTRAP_SERVERS"}
    env.update({f"COMPLAINTS_{k}_PORT": str(v) for k, v in ports.items()})
    folder = run.sub(f"dev-{i}")
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "complaints.cli", "dev", "--data-dir", str(folder / "data")],
                            env=env, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        while time.monotonic() - started < 90:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "stack ready in" in line:
                break
        found = re.search(r"stack ready in ([0-9.]+)s", "".join(lines))
        if not found:
            raise RuntimeError("complaints dev did not report ready:\n" + "".join(lines[-60:]))
        return float(found.group(1))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def run_startup(run: Run) -> None:
    times: list[float] = []
    failures = 0
    while len(times) < run.sizes.stack_start_runs:
        try:
            times.append(one(run, len(times) + failures))
        except RuntimeError as exc:
            failures += 1
            run.notes.append(f"`complaints dev` failed to start once: {str(exc).splitlines()[-1][:300]}")
            (run.folder / f"dev-failure-{failures}.txt").write_text(str(exc))
            if failures >= 3:
                raise
    run.say(f"stack start: {times}")
    run.details["startup"] = {"runs_s": times}
    figures(run, run.details["startup"])


def figures(run: Run, d: dict[str, list[float]]) -> None:
    times = d["runs_s"]
    worst = max(times)
    run.add(Figure("stack start: `complaints dev` to all services ready (its own \"stack ready in\" line)",
                   f"{worst:.1f} s (worst of {len(times)}: " + ", ".join(f"{t:.1f}" for t in times) + ")",
                   "—", "—", f"≤ {TARGET_S:.0f} s", "met" if worst <= TARGET_S else "missed"))
