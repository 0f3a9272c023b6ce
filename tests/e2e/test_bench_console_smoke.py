"""The console bench phase cannot rot: `python -m bench --quick --only console` completes with its two rows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_console_bench_measures_both_pages_beside_their_ceilings(tmp_path: Path) -> None:
    out, raw = tmp_path / "RESULTS.md", tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "console", "--postgres", "",
                           "--output", str(out), "--json", str(raw)], cwd=ROOT, capture_output=True, text=True,
                          timeout=170)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    figures = {f["figure"].split(" render")[0]: f for f in json.loads(raw.read_text())["figures"]}
    assert set(figures) == {"Console queue page", "Console case page"}
    for figure in figures.values():
        assert figure["value"].endswith(" ms") and figure["ceiling"].endswith("(projections' own read)")
        assert figure["verdict"] in ("met", "missed")
