"""Re-deciding the same input re-publishes the same bytes: whenever it comes back, in whatever order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from complaints.domain import Policy, escalation, followup, load_policy, recovery
from complaints.domain.emit import Emit
from complaints.envelope import Envelope, Record, decode, encode
from complaints.worker.decider import LifecycleDecider
from complaints.worker.rounds import Consumed, Decision, Input, decide_round
from complaints.worker.store import Loaded
from tests.unit.domain.conftest import DEFAULT_POLICY
from tests.unit.readmodel.factory import T0, D, H, M, followed, received
from tests.unit.worker.test_rounds import Message


def record(emit: Emit, time: datetime | None = None) -> Record:
    return encode(emit.event, event_id=emit.event_id, source="/tests", causation_id=emit.causation_id, time=time)


def wire(records: list[Record]) -> list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]]:
    return [(r.topic, r.key, r.value, r.headers) for r in records]


def envelope(r: Record) -> Envelope:
    return decode(r.headers, r.value, r.key)


@pytest.fixture
def policy() -> Policy:
    return load_policy(DEFAULT_POLICY)


def run(decider: LifecycleDecider, inputs: Sequence[Input], now: datetime) -> list[Record]:
    return decide_round(decider, {"c1": inputs}, {}, now, record).records


def test_a_consumed_event_redelivered_hours_later_is_decided_into_the_same_bytes(policy: Policy) -> None:
    decider = LifecycleDecider(policy, recovery.react)
    env = received("c1", T0, channel="in_person").envelope()
    first = run(decider, [Consumed(Message(0), env)], T0 + M)
    again = run(decider, [Consumed(Message(0), env)], T0 + 5 * H)
    assert first and wire(first) == wire(again)
    offer = envelope(first[0])
    assert offer.time == T0, "the offer's time is its cause's, not the worker's clock"
    assert offer.event.follow_up_at == T0 + policy.follow_up_delay("in_person")  # type: ignore[attr-defined]


def test_the_automatic_offer_does_not_depend_on_which_of_its_events_arrived_last(policy: Policy) -> None:
    """Triage escalates a high-severity case; recovery offers at the supervisor's level. On a rebuild the
    Escalated may come before its ComplaintReceived (two topics): the offer must be the same, byte for byte."""
    received_env = received("c1", T0, channel="web", severity="high").envelope()
    [escalated_rec] = run(LifecycleDecider(policy, escalation.react), [Consumed(Message(0), received_env)], T0)
    escalated_env = envelope(escalated_rec)
    assert escalated_env.event.level == "supervisor"  # type: ignore[attr-defined]
    escalated_later = Envelope(**{**{f: getattr(escalated_env, f) for f in Envelope.__dataclass_fields__},
                                  "time": T0 + 3 * M})  # the escalation was published 3 minutes later
    decider = LifecycleDecider(policy, recovery.react)
    in_order = run(decider, [Consumed(Message(0), received_env), Consumed(Message(0), escalated_later)], T0 + H)
    reversed_ = run(decider, [Consumed(Message(0), escalated_later), Consumed(Message(0), received_env)], T0 + D)
    assert len(in_order) == 1 and wire(in_order) == wire(reversed_)
    assert envelope(in_order[0]).time == T0 + 3 * M, "the offer's time is its cause's: the escalation"


def test_a_timer_fires_as_of_the_deadline_whenever_the_tick_runs(policy: Policy) -> None:
    decider = LifecycleDecider(policy, escalation.react, escalation.on_tick, escalation.next_due)
    env = received("c1", T0, channel="social").envelope()
    [save] = decide_round(decider, {"c1": [Consumed(Message(0), env)]}, {}, T0, record).saves
    stored = {"c1": Loaded(save.state, 1, 0)}
    outs = []
    for late in (T0 + H + M, T0 + 3 * H):
        tick = Decision("c1", lambda state, late=late: decider.on_tick(state, late))  # type: ignore[misc]
        outs.append(decide_round(decider, {"c1": [tick]}, stored, late, record).records)
    assert outs[0] and wire(outs[0]) == wire(outs[1])
    assert envelope(outs[0][0]).time == save.due_at == T0 + H


def test_the_no_response_closure_is_dated_at_the_end_of_the_answer_window(policy: Policy) -> None:
    decider = LifecycleDecider(policy, recovery.react, followup.on_tick)
    env = received("c1", T0, channel="in_person").envelope()
    done = decide_round(decider, {"c1": [Consumed(Message(0), env)]}, {}, T0, record)
    stored = {"c1": Loaded(done.saves[0].state, 1, 0)}
    respond_by = envelope(done.records[0]).event.respond_by  # type: ignore[attr-defined]
    outs = [decide_round(decider, {"c1": [Decision("c1", lambda s, n=n: decider.on_tick(s, n))]},  # type: ignore[misc]
                         stored, n, record).records for n in (respond_by + M, respond_by + D)]
    assert outs[0] and wire(outs[0]) == wire(outs[1]) and envelope(outs[0][0]).time == respond_by


def test_a_reopen_is_due_from_the_unhappy_answer_whichever_event_came_last(policy: Policy) -> None:
    decider = LifecycleDecider(policy, escalation.react)
    received_env = received("c1", T0, channel="in_person").envelope()
    [offer] = run(LifecycleDecider(policy, recovery.react), [Consumed(Message(0), received_env)], T0)
    offer_env = envelope(offer)
    answer = followed("c1", T0 + D, offer_id=offer_env.id, outcome="unsatisfied").envelope()
    items = [Consumed(Message(0), e) for e in (received_env, offer_env, answer)]
    in_order = run(decider, items, T0 + D + M)
    answer_first = run(decider, [items[2], items[0], items[1]], T0 + 2 * D)
    assert in_order and wire(in_order) == wire(answer_first)
    reopened = envelope(in_order[0])
    assert reopened.time == T0 + D and reopened.event.sla_due_at > T0 + D  # type: ignore[attr-defined]
    assert reopened.event.sla_due_at < T0 + D + timedelta(days=2)  # type: ignore[attr-defined]
