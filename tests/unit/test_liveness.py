"""Liveness names a loop stuck in one unit of work, and a timer with no successful tick, beyond the bound."""

from __future__ import annotations

import pytest

from complaints.liveness import Liveness
from services.projections.ingest.status import ProjectorStatus


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_unit_of_work_that_does_not_finish_within_the_bound_is_named() -> None:
    clock = Clock()
    live = Liveness(10, clock)
    with live.working("consumer"):
        clock.now += 9
        assert live.stalled() == {}
        clock.now += 2
        assert live.stalled() == {"consumer": "one unit of work has not finished for 11 s"}
    assert live.stalled() == {}, "an idle consumer is not stalled"
    clock.now += 1000
    assert live.stalled() == {}


def test_a_timer_whose_ticks_keep_failing_is_named_with_its_last_error() -> None:
    clock = Clock()
    live = Liveness(10, clock)
    live.register("timer", periodic=True)
    with live.working("timer"):
        pass
    for _ in range(11):
        clock.now += 1
        with pytest.raises(ConnectionError), live.working("timer"):
            raise ConnectionError("database down")
    assert live.stalled() == {"timer": "no successful run for 11 s; last error: ConnectionError: database down"}
    with live.working("timer"):
        pass
    assert live.stalled() == {}
    assert live.report()["loops"]["timer"]["units"] == 13


def test_a_timer_that_never_ran_is_named_after_the_bound() -> None:
    clock = Clock()
    live = Liveness(10, clock)
    live.register("timer", periodic=True)
    clock.now += 11
    assert "timer" in live.stalled()


def test_the_projector_is_stuck_when_failing_or_lagging_beyond_the_bound() -> None:
    status = ProjectorStatus(progress_at=100.0)
    assert status.stuck(10, lagging=True, now=105) is None
    assert status.stuck(10, lagging=False, now=500) is None, "nothing to project: idle, not stuck"
    assert status.stuck(10, lagging=True, now=111) == "records are waiting and no batch was applied for 11 s"
    status.rebuilding = True
    assert status.stuck(10, lagging=True, now=500) is None, "an upgrade's replay is progress, not a stall"
    status.rebuilding = False
    status.failing_since, status.last_error = 200.0, "DataError: value too long"
    assert status.stuck(10, lagging=False, now=211) == "failing for 11 s: DataError: value too long"
