"""The benchmark suite cannot rot: a tiny run of `python -m bench --quick` completes and fills every row.

The suite runs it on SQLite only (`--postgres ''`); the full quick run, PostgreSQL rows included, is
behind `scripts/test-heavy`. It writes to a temporary file: `bench/RESULTS.md` (the real results) is
never touched here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL, require_postgres

ROOT = Path(__file__).resolve().parents[2]
ROWS = (
    "stack start:",
    "intake: complaints/s accepted",
    "intake: latency at",
    "lifecycle: complaints/s from intake",
    "lifecycle: events/s of each service",
    "end-to-end latency:",
    "memory: RSS per process",
    "replay (SQLite)",
    "SLA timers (SQLite)",
    "overhead: instrumentation on vs off",
)
POSTGRES_ROWS = ("replay (PostgreSQL)", "SLA timers (PostgreSQL)")


@pytest.mark.parametrize("postgres", ["", pytest.param(PG_URL, id="postgres",
                                                       marks=[pytest.mark.heavy, pytest.mark.postgres])])
def test_quick_bench_writes_a_results_table_with_every_figure(tmp_path: Path, postgres: str) -> None:
    if postgres:
        require_postgres()
    results = ROOT / "bench" / "RESULTS.md"
    before = results.read_bytes() if results.exists() else None
    out, raw = tmp_path / "RESULTS.md", tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--postgres", postgres, "--output", str(out),
                           "--json", str(raw)], cwd=ROOT, capture_output=True, text=True, timeout=170)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    text = out.read_text()
    section = text.split("## Results", 1)[1].split("\n\n", 2)[1]
    table = [line for line in section.splitlines() if line.startswith("| ")]
    for row in ROWS + (POSTGRES_ROWS if postgres else ()):
        assert any(row in line for line in table), f"no results row for {row!r}:\n{text}"
    for line in table[2:]:
        assert line.count("|") >= 7 and ("met" in line or "missed" in line or "| — |" in line), line
    assert "## Machine" in text and "cores" in text and "Tansu" in text
    figures = json.loads(raw.read_text())["figures"]
    assert all(f["value"] for f in figures)
    assert (results.read_bytes() if results.exists() else None) == before, "the smoke run overwrote RESULTS.md"
