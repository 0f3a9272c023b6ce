"""The README's walk-through, run as written on `complaints dev`: tokens from `complaints token`, then curl.

Only what a reader substitutes is substituted: the complaint id and position step 1 printed, and the
ports (the test's stack runs on free ones).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from complaints.broker.embedded import free_port
from complaints.settings import Settings
from tests.tokens import bearer

ROOT = Path(__file__).resolve().parents[3]
PORTS = {"8000": "API", "8001": "INTAKE", "8002": "ESCALATION", "8003": "RECOVERY", "8004": "FOLLOWUP"}


def walkthrough() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Walk-through"):]
    start = section.index("```bash\n") + len("```bash\n")
    return section[start:section.index("\n```", start)]


def json_objects(text: str) -> list[dict[str, Any]]:
    decoder, found, at = json.JSONDecoder(), [], 0
    while (at := text.find("{", at)) >= 0:
        try:
            value, end = decoder.raw_decode(text, at)
        except ValueError:
            at += 1
            continue
        found.append(value)
        at = end
    return found


def bash(script: str, env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def start_dev_stack(folder: Path) -> tuple[dict[str, int], subprocess.Popen[str]]:
    """`complaints dev` as `./scripts/dev` runs it (default data folder `var/dev`), in `folder`, on free ports."""
    ports = {name: free_port() for name in ("API", "INTAKE", "ESCALATION", "RECOVERY", "FOLLOWUP", "NOTIFIER",
                                            "CONSOLE", "BROKER", "SMTP")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_") and k != "KAFKA_BOOTSTRAP_SERVERS"}
    env.update({f"COMPLAINTS_{k}_PORT": str(v) for k, v in ports.items()})
    proc = subprocess.Popen([sys.executable, "-m", "complaints.cli", "dev"], cwd=folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return ports, proc


def test_the_readme_walkthrough_works_as_written(tmp_path: Path) -> None:
    ports, proc = start_dev_stack(tmp_path)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        while not any("stack ready in" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "dev stack exited early:\n" + "".join(lines)
            lines.append(line)
        key = tmp_path / "var" / "dev" / "auth-signing-key.pem"  # found by `complaints token` from the same folder
        assert f"(signing key {key.relative_to(tmp_path)})" in "".join(lines)
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
        env.update({"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                    "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{ports['BROKER']}"})
        script = walkthrough()
        for readme_port, name in PORTS.items():
            script = script.replace(f"localhost:{readme_port}", f"localhost:{ports[name]}")
        step1, rest = script.split("# 2.", 1)
        accepted = json.loads(bash(step1, env, tmp_path))
        cid, position = accepted["complaint_id"], accepted["position"]
        staff = bearer(Settings(auth_dev_key_file=key), "test", level="executive")
        deadline = time.monotonic() + 30  # a reader takes longer than this to read step 2
        while time.monotonic() < deadline and not httpx.get(
                f"http://127.0.0.1:{ports['API']}/complaints/{cid}", headers=staff, timeout=5).json().get("offers"):
            time.sleep(0.2)
        out = bash("# 2." + rest.replace("<complaint_id>", cid).replace("ComplaintReceived:3:0", position), env,
                   tmp_path)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    replies = json_objects(out)  # curl prints no newline: replies may share a line with the next output
    view, followed, personal, access, queue, kpis = (next(r for r in replies if key in r) for key in (
        "timeline", "events", "contact", "reads", "items", "volume"))
    assert view["complaint_id"] == cid and view["offers"]
    assert followed["events"] and re.search(r'complaints.FollowedUp.v2 .*"recorded_by": "sam"', out)
    assert personal["contact"] == {"email": "ana@example.com", "name": "Ana"}
    assert personal["description"] == "I got the wrong sandwich"
    assert [c["comment"] for c in personal["comments"]] == ["Lovely, thank you"]
    assert [(r["staff_id"], r["reason"]) for r in access["reads"]] == [("lee", "Customer asked us to call her back")]
    assert "items" in queue and kpis["volume"] == 1
