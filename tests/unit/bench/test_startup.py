"""The stack-start row (the suite's bench smoke runs without the phase: a `complaints dev` start of its own)."""

from __future__ import annotations

from pathlib import Path

from bench.context import DEFAULT, Run
from bench.startup import TARGET_S, figures


def test_the_worst_start_of_the_runs_is_the_figure_and_its_verdict() -> None:
    run = Run(DEFAULT, Path("/nonexistent"), None)
    figures(run, {"runs_s": [4.2, TARGET_S + 2.5]})
    figures(run, {"runs_s": [3.1]})
    slow, fast = run.figures
    assert slow.value == f"{TARGET_S + 2.5:.1f} s (worst of 2: 4.2, {TARGET_S + 2.5:.1f})" and slow.verdict == "missed"
    assert fast.value == "3.1 s (worst of 1: 3.1)" and fast.verdict == "met"
