"""faults/RESULTS.md: one row per scenario, the figures and what they mean."""

from __future__ import annotations

import platform
from datetime import UTC, datetime

from faults.run import Result

HEAD = """# Fault suite results

Regenerate: `flock /tmp/complaints-suite.lock python -m faults` (docs/faults.md explains every
scenario and figure). Topology: `complaints dev --postgres`'s (two replicas of each worker and of
projections, one intake, every store on PostgreSQL; the SQLite scenario runs one replica each), on
the embedded broker, under a steady load of {rate:g} complaints/s through intake.

* **sent**: complaints the load generator sent (each retried with its Idempotency-Key until accepted);
  **accepted**: answered 202; **expected**: accepted and shown by the read model as `recovery_offered`
  (what the policy decides for them).
* **lost**: accepted but absent from the read model after the drain (≤ 90 s after the load stopped).
* **divergent**: event ids found on the topics with more than one distinct value (identical
  re-publications are counted as **dupes**: harmless, consumers de-duplicate by id).
* **stall**: the longest time, after the fault cleared, with complaints outstanding and none reaching
  its outcome. **recover**: from the fault clearing until every complaint accepted before then had its
  outcome.
* Done means 0 lost, 0 divergent, stall ≤ 30 s, and every accepted complaint with its outcome.
"""


def render(results: list[Result], rate: float, quick: bool) -> str:
    lines = [HEAD.format(rate=rate),
             f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
             f"{'--quick' if quick else 'full'} run.\n",
             "| scenario | store | sent | accepted | expected | lost | divergent | dupes | stall s | recover s "
             "| verdict | notes |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        verdict = "pass" if r.passed else "**FAIL**"
        notes = "; ".join(f"{k}={v}" for k, v in r.notes.items())
        if r.error:
            notes = f"error: {r.error}; {notes}"
        notes = " ".join(notes.replace("|", "/").split())[:300]
        recover = "—" if r.recover_s is None else f"{r.recover_s:g}"
        lines.append(f"| {r.name} | {r.store} | {r.sent} | {r.accepted} | {r.expected} | {r.lost} | {r.divergent} "
                     f"| {r.duplicates} | {r.stall_s:g} | {recover} | {verdict} | {notes} |")
    lines += ["", "## What each scenario injects", ""]
    lines += [f"* **{r.name}**: {r.proves}." for r in results]
    return "\n".join(lines) + "\n"
