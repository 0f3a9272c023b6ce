"""Escalation: every move up has a reason, an SLA, a policy version — and a refusal is explained."""

from __future__ import annotations

from datetime import timedelta

import pytest

from complaints.domain import CaseClosed, InvalidEscalation, Policy, UnknownCase, escalation, recovery
from schemas.events import Escalated, RecoveryOffered, Remedy
from tests.unit.domain.helpers import T0, Lifecycle, complaint

HOUR = timedelta(hours=1)


def social_case(policy: Policy) -> Lifecycle:
    case = Lifecycle(policy)
    case.receive(
        complaint(channel="social", public=True, category="wait_time", severity="medium", amount_at_stake=None)
    )
    return case


def test_same_input_same_decision(policy: Policy) -> None:
    received = complaint(channel="email", category="privacy", severity="high")
    first = escalation.on_event(None, received, "cr-1", policy, T0)
    again = escalation.on_event(None, received, "cr-1", policy, T0 + HOUR)  # the time of processing does not matter
    assert first == again and len(first) == 1


def test_a_repeated_tick_re_emits_the_same_breach(policy: Policy) -> None:
    state = social_case(policy).state()
    first = escalation.on_tick(state, policy, T0 + HOUR)
    later = escalation.on_tick(state, policy, T0 + 3 * HOUR)
    assert first == later and len(first) == 1
    assert first[0].causation_id is not None


def test_an_offer_stops_the_clock(policy: Policy) -> None:
    case = Lifecycle(policy)
    case.receive(complaint())
    assert case.last(RecoveryOffered)
    assert escalation.next_due(case.state(), policy) is None
    assert escalation.on_tick(case.state(), policy, T0 + 10 * HOUR) == []


def test_breaches_climb_one_level_at_a_time_and_stop_at_the_executive(policy: Policy) -> None:
    case = Lifecycle(policy)
    case.receive(complaint(channel="email", category="privacy", severity="high", amount_at_stake=None))
    assert case.state().level == "department"
    due = escalation.next_due(case.state(), policy)
    assert due == T0 + 4 * HOUR

    case.tick(T0 + 4 * HOUR)
    top = case.last(Escalated)
    assert (top.level, top.from_level, top.department) == ("executive", "department", "privacy_legal")
    assert top.sla_due_at == T0 + 8 * HOUR  # the new clock starts at the breach
    assert escalation.next_due(case.state(), policy) is None
    assert case.tick(T0 + 100 * HOUR) == []


def test_manual_escalation_moves_up_with_the_agents_reason(policy: Policy) -> None:
    case = social_case(policy)
    emits = escalation.manual(
        case.state(),
        agent="agent-1",
        reason_text="Customer is a journalist",
        target_level="manager",
        policy=policy,
        now=T0 + 5 * timedelta(minutes=1),
        request_id="req-9",
    )
    event = emits[0].event
    assert isinstance(event, Escalated)
    assert (event.level, event.reason, event.requested_by) == ("manager", "manual", "agent-1")
    assert event.reasons[0] == "Escalated by agent-1: Customer is a journalist"
    assert emits == escalation.manual(
        case.state(),
        agent="agent-1",
        reason_text="Customer is a journalist",
        target_level="manager",
        policy=policy,
        now=T0 + 5 * timedelta(minutes=1),
        request_id="req-9",
    )


def test_manual_escalation_to_department_picks_the_categorys_department(policy: Policy) -> None:
    case = social_case(policy)
    emits = escalation.manual(
        case.state(),
        agent="a",
        reason_text="needs ops",
        target_level="department",
        policy=policy,
        now=T0,
        request_id="r",
    )
    assert emits[0].event.department == "operations"  # type: ignore[attr-defined]


def test_manual_escalation_refusals_are_explained(policy: Policy) -> None:
    case = social_case(policy)
    kwargs = {"agent": "a", "reason_text": "why", "policy": policy, "now": T0, "request_id": "r"}
    with pytest.raises(UnknownCase):
        escalation.manual(None, target_level=None, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidEscalation, match="already at front_line; it can only go up"):
        escalation.manual(case.state(), target_level="front_line", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidEscalation, match="needs the agent's id and a reason"):
        escalation.manual(
            case.state(), agent="a", reason_text=" ", target_level=None, policy=policy, now=T0, request_id="r"
        )

    closed = Lifecycle(policy)
    closed.receive(complaint())
    closed.answer(satisfied=True, now=T0)
    with pytest.raises(CaseClosed, match="closed"):
        escalation.manual(closed.state(), target_level=None, **kwargs)  # type: ignore[arg-type]


def test_reopening_at_the_executive_level_stays_there(policy: Policy) -> None:
    case = Lifecycle(policy)
    case.receive(complaint(category="billing", severity="critical"))
    assert case.state().level == "department"
    case.tick(T0 + timedelta(hours=1))
    assert case.state().level == "executive"
    emits = recovery.manual_offer(
        case.state("recovery"),
        agent="ceo",
        level="executive",
        remedies=[Remedy(type="apology", description="Personally sorry.")],
        apology=None,
        policy=policy,
        now=T0,
        request_id="r1",
    )
    case.publish(emits, T0)
    case.answer(satisfied=False, now=T0 + timedelta(hours=2))
    reopened = case.last(Escalated)
    assert (reopened.from_level, reopened.level, reopened.episode) == ("executive", "executive", 2)
    assert "stays there" in reopened.reasons[1]
