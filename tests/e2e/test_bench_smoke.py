"""The benchmark suite cannot rot: a tiny run of `python -m bench --quick` completes and fills every row.

The suite runs it on SQLite only (`--postgres ''`), without the what-if phase, which has no quick size
(50,000 cases; that phase's code runs here in process at 400 cases), and without the stack-start phase
(a `complaints dev` start of ~15 s, which `tests/e2e/test_dev_stack.py` makes and whose "stack ready in"
line it parses as the bench does). The whole quick run, PostgreSQL rows, what-if and stack start
included, is behind `scripts/test-heavy`. It writes to a temporary file: `bench/RESULTS.md`
(the real results) is never touched here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import PHASES
from bench.context import QUICK, Run
from bench.whatif import run_whatif
from tests.conftest import PG_URL, require_postgres

ROOT = Path(__file__).resolve().parents[2]
ROWS = (
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
HEAVY_ROWS = ("stack start:", "replay (PostgreSQL)", "SLA timers (PostgreSQL)", "what-if:")
SUITE_PHASES = [arg for phase in PHASES if phase not in ("whatif", "startup") for arg in ("--only", phase)]


@pytest.mark.parametrize("heavy", [False, pytest.param(True, id="postgres-whatif",
                                                       marks=[pytest.mark.heavy, pytest.mark.postgres])])
def test_quick_bench_writes_a_results_table_with_every_figure(tmp_path: Path, heavy: bool) -> None:
    if heavy:
        require_postgres()
    results = ROOT / "bench" / "RESULTS.md"
    before = results.read_bytes() if results.exists() else None
    out, raw = tmp_path / "RESULTS.md", tmp_path / "results.json"
    options = ["--postgres", PG_URL] if heavy else ["--postgres", "", *SUITE_PHASES]
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", *options, "--output", str(out),
                           "--json", str(raw)], cwd=ROOT, capture_output=True, text=True, timeout=170)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    text = out.read_text()
    section = text.split("## Results", 1)[1].split("\n\n", 2)[1]
    table = [line for line in section.splitlines() if line.startswith("| ")]
    for row in ROWS + (HEAVY_ROWS if heavy else ()):
        assert any(row in line for line in table), f"no results row for {row!r}:\n{text}"
    for line in table[2:]:
        assert line.count("|") >= 7 and ("met" in line or "missed" in line or "| — |" in line), line
    assert "## Machine" in text and "cores" in text and "Tansu" in text
    figures = json.loads(raw.read_text())["figures"]
    assert all(f["value"] for f in figures)
    assert (results.read_bytes() if results.exists() else None) == before, "the smoke run overwrote RESULTS.md"


def test_the_what_if_phase_measures_its_figure_at_a_tiny_size(tmp_path: Path) -> None:
    run = Run.create(QUICK, None, folder=tmp_path)
    run_whatif(run, templates=40, cases=400)
    [figure] = run.figures
    assert figure.figure.startswith("what-if:") and figure.value and figure.verdict in ("met", "missed")
    assert run.details["whatif"]["cases"] == 400 and run.details["whatif"]["changed"] > 0
