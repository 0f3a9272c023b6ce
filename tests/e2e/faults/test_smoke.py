"""The fault suite's smoke run (`python -m faults` in small): on the production-like topology under
a steady load, SIGKILL the projections replica holding the writer lease, then 50 fuzzed poison
records — every complaint still reaches its outcome, none lost, no event id with two contents."""

from __future__ import annotations

from pathlib import Path

import pytest

from faults.cluster import Cluster
from faults.run import run
from faults.scenarios import Scenario, kill, poison
from tests.conftest import PG_URL, require_postgres


def sigkill_writer_then_poison(cluster: Cluster, notes: dict[str, object]) -> None:
    kill("projections")(cluster, notes)
    poison(50)(cluster, notes)


@pytest.mark.postgres
@pytest.mark.timeout(150)
async def test_sigkill_of_the_writer_and_poison_lose_nothing_and_stall_nothing(tmp_path: Path) -> None:
    require_postgres()
    scenario = Scenario("smoke", "postgres", "SIGKILL of the writing projections replica, then 50 poison records",
                        sigkill_writer_then_poison)
    result = await run(scenario, tmp_path, PG_URL, warmup_s=3.0, after_s=5.0, rate=4.0, drain_s=40.0)
    assert result.error is None, result
    assert result.notes["role"] == "writer" and result.notes["poison"] == 50, result.notes
    assert float(str(result.notes["takeover_s"])) < 10, result.notes  # the other replica took writing over
    assert result.sent > 20 and result.accepted == result.sent, result
    assert result.lost == 0 and result.divergent == 0, result
    assert result.expected == result.accepted, result  # every complaint reached recovery_offered
    assert result.stall_s <= 30 and result.passed, result
