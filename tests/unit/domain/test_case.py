"""A case is its event log: folding is idempotent and converges whatever order the topics deliver in."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

from complaints.domain import CaseState, Policy, escalation, evolve, recovery
from complaints.domain.emit import Emit
from schemas.events import ComplaintReceived, Escalated, FollowedUp, RecoveryOffered
from tests.unit.domain.helpers import T0, Lifecycle, complaint

MINUTE = timedelta(minutes=1)


def unhappy_story(policy: Policy) -> list[Emit]:
    case = Lifecycle(policy)
    case.receive(complaint())
    case.answer(satisfied=False, csat=2, now=T0 + 6 * MINUTE)
    case.answer(satisfied=True, csat=5, now=T0 + 20 * MINUTE)
    STORY_MINUTE.update({emit.event_id: index for index, emit in enumerate(case.log)})
    return case.log


def fold(emits: list[Emit], state: CaseState | None = None) -> CaseState:
    """Fold in the given order; each event carries its own time (its minute in the story)."""
    for emit in emits:
        state = evolve(state, emit.event, emit.event_id, T0 + STORY_MINUTE.get(emit.event_id, 0) * MINUTE)
    assert state is not None
    return state


STORY_MINUTE: dict[str, int] = {}


def comparable(state: CaseState) -> dict[str, object]:
    return state.model_dump(exclude={"applied"})


def test_applying_an_event_twice_changes_nothing(policy: Policy) -> None:
    log = unhappy_story(policy)
    once = fold(log)
    assert fold(log, once) == once
    assert evolve(once, log[2].event, log[2].event_id, T0 + timedelta(days=9)) is once


def test_the_state_tells_the_story(policy: Policy) -> None:
    log = unhappy_story(policy)
    after_offer, after_unhappy, closed = fold(log[:2]), fold(log[:3]), fold(log)
    assert (after_offer.status, after_offer.level, after_offer.open_offer is not None) == (
        "recovery_offered",
        "front_line",
        True,
    )
    assert after_offer.first_response_at is not None and after_offer.facts is not None
    assert (after_unhappy.status, after_unhappy.open_offer, after_unhappy.answered_offers) == (
        "reopened",
        None,
        (log[1].event_id,),
    )
    assert (closed.status, closed.level, closed.episode, closed.outcome) == ("closed", "supervisor", 2, "satisfied")


def test_any_delivery_order_converges_to_the_same_case(policy: Policy) -> None:
    log = unhappy_story(policy)
    expected = comparable(fold(log))
    orders = list(itertools.permutations(log))
    for order in random.Random(7).sample(orders, 200):
        assert comparable(fold(list(order))) == expected


def test_events_before_the_complaint_give_a_partial_state_not_a_crash(policy: Policy) -> None:
    log = unhappy_story(policy)
    offer = next(e for e in log if isinstance(e.event, RecoveryOffered))
    partial = evolve(None, offer.event, offer.event_id, T0)
    assert (partial.facts, partial.status, partial.complaint_id) == (None, "recovery_offered", "case-1")
    assert escalation.next_due(partial, policy) is None


def test_recovery_offers_once_the_complaint_arrives_after_its_escalation(policy: Policy) -> None:
    received = complaint(category="product_defect", severity="medium", amount_at_stake=None, channel="web")
    received = received.model_copy(update={"severity": "high"})  # a supervisor's case
    in_order = Lifecycle(policy)
    in_order.receive(received)
    escalated = next(e for e in in_order.log if isinstance(e.event, Escalated))
    cr = in_order.log[0]

    early = recovery.on_event(None, escalated.event, escalated.event_id, policy, T0)
    assert early == []  # the facts needed for an offer are not in yet
    state = evolve(None, escalated.event, escalated.event_id, T0)
    late = recovery.on_event(state, cr.event, cr.event_id, policy, T0)

    expected = next(e for e in in_order.log if isinstance(e.event, RecoveryOffered))
    assert [e.event_id for e in late] == [expected.event_id]
    assert late[0].event == expected.event


def test_a_reopen_waits_for_the_complaint_then_happens_with_the_same_id(policy: Policy) -> None:
    log = unhappy_story(policy)
    offer, unhappy, cr = log[1], log[2], log[0]
    assert isinstance(unhappy.event, FollowedUp) and isinstance(cr.event, ComplaintReceived)
    now = T0 + 6 * MINUTE

    state = evolve(None, offer.event, offer.event_id, T0)
    assert escalation.on_event(state, unhappy.event, unhappy.event_id, policy, now) == []
    state = evolve(state, unhappy.event, unhappy.event_id, now)
    emits = escalation.on_event(state, cr.event, cr.event_id, policy, now)

    assert [e.event_id for e in emits] == [log[3].event_id]
    assert emits[0].event == log[3].event


def test_decisions_ignore_an_input_already_applied(policy: Policy) -> None:
    log = unhappy_story(policy)
    state = fold(log[:3])
    assert escalation.on_event(state, log[2].event, log[2].event_id, policy, T0) == []
    assert recovery.on_event(state, log[0].event, log[0].event_id, policy, T0) == []


def test_replaying_the_story_yields_the_same_events_byte_for_byte(policy: Policy) -> None:
    first, second = unhappy_story(policy), unhappy_story(policy)
    assert [(e.event_id, e.causation_id, e.event.model_dump_json()) for e in first] == [
        (e.event_id, e.causation_id, e.event.model_dump_json()) for e in second
    ]


def test_the_state_survives_a_json_round_trip(policy: Policy) -> None:
    state = fold(unhappy_story(policy))
    assert CaseState.model_validate_json(state.model_dump_json()) == state
