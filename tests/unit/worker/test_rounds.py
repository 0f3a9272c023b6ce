"""A round of the worker contract, worked out with no I/O: every input through the one step, in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from complaints.domain import CaseState, Policy, escalation, load_policy, recovery
from complaints.domain.emit import Emit
from complaints.domain.errors import UnknownCase
from complaints.envelope import Record, decode, encode
from complaints.worker.decider import LifecycleDecider
from complaints.worker.rounds import Consumed, Decision, by_case, decide_round
from complaints.worker.store import Loaded
from tests.unit.domain.conftest import DEFAULT_POLICY
from tests.unit.readmodel.factory import T0, H, received


@dataclass(frozen=True)
class Message:
    partition: int


def record(emit: Emit, time: datetime) -> Record:
    return encode(emit.event, event_id=emit.event_id, source="/tests", causation_id=emit.causation_id, time=time)


@pytest.fixture
def policy() -> Policy:
    return load_policy(DEFAULT_POLICY)


@pytest.fixture
def decider(policy: Policy) -> LifecycleDecider:
    return LifecycleDecider(policy, recovery.react)


def test_each_case_decides_its_events_in_order_and_saves_once(decider: LifecycleDecider) -> None:
    first = Consumed(Message(3), received("c1", T0, channel="in_person").envelope())
    other = Consumed(Message(1), received("c2", T0, channel="web").envelope())
    cases = by_case([first, other, first])
    assert list(cases) == ["c1", "c2"] and cases["c1"] == [first, first]
    done = decide_round(decider, cases, {}, T0, record)
    assert (done.consumed, done.duplicates) == (3, 1), "the redelivery in the same round is a duplicate"
    assert {s.complaint_id: s.partition for s in done.saves} == {"c1": 3, "c2": 1}
    offers = [r for r in done.records if r.topic == "RecoveryOffered" and r.key == b"c1"]
    assert len(offers) == len(done.emitted["c1"]) == 1, "the wrong order is offered a remedy at once"
    saved = CaseState.model_validate_json(done.saves[0].state)
    assert saved.status == "recovery_offered" and offers[0].event_id in saved.applied


def test_a_stored_redelivery_changes_nothing(decider: LifecycleDecider) -> None:
    env = received("c1", T0, channel="in_person").envelope()
    done = decide_round(decider, {"c1": [Consumed(Message(0), env)]}, {}, T0, record)
    stored = {"c1": Loaded(done.saves[0].state, 4, 0)}
    again = decide_round(decider, {"c1": [Consumed(Message(0), env)]}, stored, T0 + H, record)
    assert (again.duplicates, again.records, again.saves) == (1, [], [])


def test_an_input_that_fails_is_left_out_and_the_case_goes_on(decider: LifecycleDecider) -> None:
    def refuse(_state: CaseState | None) -> list[Emit]:
        raise UnknownCase("no such complaint")

    refused = Decision("c1", refuse)
    later = Consumed(Message(0), received("c1", T0, channel="in_person").envelope())
    done = decide_round(decider, {"c1": [refused, later]}, {}, T0, record)
    assert [item for item, _ in done.failed] == [refused] and isinstance(done.failed[0][1], UnknownCase)
    assert len(done.saves) == 1 and done.consumed == 1


def test_a_decision_of_its_own_is_folded_into_the_saved_state_with_its_next_due(policy: Policy) -> None:
    decider = LifecycleDecider(policy, escalation.react, escalation.on_tick, escalation.next_due)
    env = received("c1", T0, channel="social").envelope()
    start = decide_round(decider, {"c1": [Consumed(Message(2), env)]}, {}, T0, record).saves[0]
    assert start.due_at == T0 + H, "a social complaint is due within the hour"
    stored = {"c1": Loaded(start.state, 1, 2)}
    late = T0 + H + timedelta(seconds=1)
    tick = Decision("c1", lambda state: decider.on_tick(state, late))
    done = decide_round(decider, {"c1": [tick]}, stored, late, record)
    [save] = done.saves
    state = CaseState.model_validate_json(save.state)
    assert (save.partition, save.version, state.level) == (2, 1, "supervisor")
    assert [r.topic for r in done.records] == ["Escalated"] and save.due_at is not None and save.due_at > late
    escalation_id = done.emitted["c1"][0]
    assert escalation_id in state.applied


def test_what_a_step_emits_is_folded_before_the_next_input(decider: LifecycleDecider) -> None:
    env = received("c1", T0, channel="in_person").envelope()
    [offer] = decide_round(decider, {"c1": [Consumed(Message(0), env)]}, {}, T0, record).records
    echo = Consumed(Message(0), decode(offer.headers, offer.value, offer.key))
    done = decide_round(decider, {"c1": [Consumed(Message(0), env), echo]}, {}, T0, record)
    assert done.duplicates == 1 and len(done.records) == 1, "the offer's own echo is already applied"
