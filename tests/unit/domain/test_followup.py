"""Follow-up: every offer gets exactly one, whoever records it — the customer, or the clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from complaints.domain import (
    CaseClosed,
    DomainError,
    Emit,
    NoOpenOffer,
    Policy,
    UnknownCase,
    escalation,
    followup,
    recovery,
)
from complaints.ids import deterministic_id
from schemas.common import Sealed
from schemas.events import FollowedUp, RecoveryOffered, Remedy
from tests.unit.domain.helpers import T0, Lifecycle, complaint

MINUTE = timedelta(minutes=1)


def answer(case: Lifecycle, **fields: object) -> list[Emit]:
    kwargs: dict[str, object] = {
        "satisfied": True,
        "csat": 5,
        "comment": None,
        "agent": "mgr-7",
        "policy": case.policy,
        "now": T0 + 6 * MINUTE,
    }
    kwargs.update(fields)
    return followup.answer(case.states["followup"], **kwargs)  # type: ignore[arg-type]


def test_one_follow_up_per_offer_whoever_records_it(policy: Policy) -> None:
    case = Lifecycle(policy)
    case.receive(complaint())
    offer = case.last(RecoveryOffered)
    by_customer = answer(case, satisfied=False)
    by_clock = followup.on_tick(case.state("followup"), policy, offer.respond_by)
    assert by_customer[0].event_id == by_clock[0].event_id == deterministic_id("FollowedUp", offer.offer_id)
    assert by_customer[0].causation_id == offer.offer_id


def test_the_answer_is_recorded_with_its_score_and_sealed_comment(policy: Policy) -> None:
    case = Lifecycle(policy)
    case.receive(complaint())
    comment = Sealed(key_ref="cust-42", nonce="bm9uY2U", ciphertext="Z3JlYXQ")
    emitted = answer(case, csat=4, comment=comment)[0].event
    assert isinstance(emitted, FollowedUp)
    assert (
        emitted.outcome,
        emitted.satisfied,
        emitted.csat,
        emitted.comment,
        emitted.recorded_by,
        emitted.episode,
    ) == (
        "satisfied",
        True,
        4,
        comment,
        "mgr-7",
        1,
    )
    assert emitted.policy_version == policy.policy_id
    assert emitted.reasons and "satisfied" in emitted.reasons[0]


def test_follow_up_refusals_are_explained(policy: Policy) -> None:
    case = Lifecycle(policy)
    with pytest.raises(UnknownCase):
        answer(case)
    case.receive(complaint(channel="email", category="privacy", severity="high"))
    with pytest.raises(NoOpenOffer, match="no recovery offer waiting"):
        answer(case)
    ordinary = Lifecycle(policy)
    ordinary.receive(complaint())
    with pytest.raises(DomainError, match="from 1 to 5"):
        answer(ordinary, csat=9)
    ordinary.publish(answer(ordinary), T0)
    with pytest.raises(CaseClosed, match="already closed"):
        answer(ordinary)


def test_the_timer_knows_when_to_look_and_when_to_stop(policy: Policy) -> None:
    case = Lifecycle(policy)
    case.receive(complaint())
    offer = case.last(RecoveryOffered)
    assert followup.next_due(case.state("followup")) == offer.respond_by
    case.publish(answer(case), T0)
    assert followup.next_due(case.state("followup")) is None
    assert followup.on_tick(case.state("followup"), policy, offer.respond_by + timedelta(days=1)) == []


def test_an_offer_overtaken_by_an_escalation_does_not_time_out(policy: Policy) -> None:
    case = Lifecycle(policy)
    case.receive(complaint())
    offer = case.last(RecoveryOffered)
    emits = escalation.manual(
        case.state(),
        agent="a",
        reason_text="Regular customer, let the team decide",
        target_level="department",
        policy=policy,
        now=T0,
        request_id="r",
    )
    case.publish(emits, T0)
    assert followup.next_due(case.state("followup")) is None  # the department owes the customer a new offer
    assert followup.on_tick(case.state("followup"), policy, offer.respond_by) == []
    made = recovery.manual_offer(
        case.state("recovery"),
        agent="ops-1",
        level="department",
        remedies=[Remedy(type="apology", description="Sorry.")],
        apology=None,
        policy=policy,
        now=T0 + MINUTE,
        request_id="r2",
    )
    case.publish(made, T0 + MINUTE)
    assert followup.next_due(case.state("followup")) == case.last(RecoveryOffered).respond_by
