"""Issue 18 item 5: a customer who asks for a person gets a person, at every level and in every episode."""

from __future__ import annotations

from datetime import timedelta

import pytest

from complaints.domain import Policy, recovery, triage
from schemas.events import Escalated, RecoveryOffered, Remedy
from tests.unit.domain.helpers import T0, Lifecycle, complaint, usd

MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("fields", "level"),
    [
        ({"channel": "chat", "severity": "critical", "category": "other", "amount_at_stake": None}, "manager"),
        ({"channel": "web", "severity": "critical", "category": "delivery", "amount_at_stake": usd("30")}, "manager"),
        ({"channel": "chat", "severity": "low", "category": "other", "amount_at_stake": None}, "supervisor"),
        ({"channel": "email", "severity": "high", "category": "product_defect"}, "supervisor"),
    ],
)
def test_no_automatic_offer_when_the_customer_asked_for_a_person(policy: Policy, fields: dict[str, object],
                                                                 level: str) -> None:
    case = Lifecycle(policy)
    case.receive(complaint(wants_human=True, **fields))  # type: ignore[arg-type]

    assert case.kinds() == ["ComplaintReceived", "Escalated"]  # no RecoveryOffered by the policy
    escalated = case.last(Escalated)
    assert (escalated.level, escalated.reason) == (level, "customer_request")
    assert any("no automatic offer" in r for r in escalated.reasons)
    assert not triage(complaint(wants_human=True, **fields), policy).auto_offer  # type: ignore[arg-type]


def test_the_same_complaint_without_the_request_is_offered_automatically(policy: Policy) -> None:
    case = Lifecycle(policy)
    case.receive(complaint(channel="chat", severity="critical", category="other", amount_at_stake=None))
    assert case.kinds() == ["ComplaintReceived", "Escalated", "RecoveryOffered"]
    assert case.last(RecoveryOffered).offered_by == "policy"


def test_it_waits_in_its_levels_queue_and_the_sla_still_climbs(policy: Policy) -> None:
    case = Lifecycle(policy)
    case.receive(complaint(channel="chat", severity="critical", category="other", wants_human=True,
                           amount_at_stake=None))
    state = case.state("recovery")
    assert (state.status, state.level) == ("escalated", "manager")  # waiting in the manager's queue
    assert case.state().sla_due_at == T0 + 5 * MINUTE

    case.tick(T0 + 5 * MINUTE)  # nobody answered: one level up, still no robot
    case.tick(T0 + 10 * MINUTE)
    assert case.kinds() == ["ComplaintReceived", "Escalated", "Escalated", "Escalated"]
    assert [e.event.level for e in case.log if isinstance(e.event, Escalated)] == ["manager", "department",
                                                                                  "executive"]
    assert all(isinstance(e.event, Escalated) and e.event.reason == "sla_breached" for e in case.log[2:])


def test_a_person_can_still_make_the_offer(policy: Policy) -> None:
    case = Lifecycle(policy)
    case.receive(complaint(channel="chat", severity="low", category="other", wants_human=True, amount_at_stake=None))
    state = case.state("recovery")
    sorry = [Remedy(type="apology", description="Sorry, in person.")]
    emits = recovery.manual_offer(state, agent="sup-3", level="supervisor", remedies=sorry,
                                  apology=None, policy=policy, now=T0 + MINUTE, request_id="r-1")
    offer = emits[0].event
    assert isinstance(offer, RecoveryOffered) and offer.offered_by == "sup-3"
