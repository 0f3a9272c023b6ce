"""The what-if as the shell runs it (CLI, `POST /what-if`, the bench): the domain's report, under `batch_gc`.

A history of tens of thousands of cases is millions of long-lived objects; with CPython's default
collection thresholds the report's own short-lived objects (facts, remedies, handlings) keep
triggering collections that rescan them: measured ~30 % of the what-if's CPU (bench `whatif`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from complaints.domain.policy import Policy
from complaints.domain.whatif import Recorded, Report, what_if
from complaints.heap import batch_gc


def report(histories: Iterable[Sequence[Recorded]], candidate: Policy, as_of: datetime) -> Report:
    """`complaints.domain.whatif.what_if`, with garbage collection tuned for batch work."""
    with batch_gc():
        return what_if(histories, candidate, as_of)
