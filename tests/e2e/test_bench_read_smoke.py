"""The `read` phase cannot rot: `python -m bench --only read --quick` builds its read model and fills every row."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROWS = ("case view p99", "case view as_of p99", "queue, every filter × sort", "KPIs, any window and channel",
        "queue as_of any moment", "build through the batch writer")


def test_quick_read_bench_fills_every_row(tmp_path: Path) -> None:
    out, raw = tmp_path / "RESULTS.md", tmp_path / "results.json"
    # 4 s of HTTP load per deployment (quick: 8 s) is enough to fill every row; both deployments still run.
    proc = subprocess.run([sys.executable, "-m", "bench", "--only", "read", "--quick", "--postgres", "",
                           "--size", "read_load_s=4", "--output", str(out), "--json", str(raw)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    table = [line for line in out.read_text().splitlines() if line.startswith("| read (SQLite)")]
    for row in ROWS:
        assert any(row in line for line in table), f"no results row for {row!r}:\n{out.read_text()}"
    details = json.loads(raw.read_text())["details"]["read"]["SQLite"]
    assert details["build"]["events"] > details["cases"] == 500
    assert len(details["queue"]["by_request"]) == 48 and all(r["n"] for r in details["queue"]["by_request"].values())
    # the worst request's slowest samples, with the time each waited for a CPU (bench/runwait.py) inside it
    waited = details["queue"]["worst_run_wait"]
    assert len(waited["slowest_ms"]) == len(waited["run_queue_ms"]) >= 1
    worst = details["queue"]["worst_p99_ms"]
    assert all(w >= 0 for w in waited["run_queue_ms"]) and waited["slowest_ms"][0] >= worst - 0.05  # 0.1 ms rounding
    assert waited["p99_less_run_queue_ms"] <= worst
