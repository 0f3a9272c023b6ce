"""The seed stories, end to end through the pure core: every step is an event fed back into the case."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from complaints.domain import AuthorityExceeded, Policy, escalation, recovery
from schemas.common import Money
from schemas.events import Escalated, FollowedUp, RecoveryOffered, Remedy
from tests.unit.domain.helpers import T0, Lifecycle, complaint, usd

MINUTE = timedelta(minutes=1)


def test_the_wrong_sandwich_is_put_right_on_the_spot_and_closed_satisfied(case: Lifecycle) -> None:
    case.receive(complaint(channel="in_person", category="wrong_order", severity="low", amount_at_stake=usd("8.50")))

    offer = case.last(RecoveryOffered)
    assert offer.level == "front_line" and offer.offered_by == "policy"
    assert [r.type for r in offer.remedies] == ["apology", "replacement", "free_product"]
    assert offer.remedies[1].amount == usd("8.50")  # a fresh sandwich
    assert offer.remedies[2].amount == usd("5.00")  # plus a free extra: the chocolate cake
    assert offer.total == usd("13.50") and offer.total.amount <= offer.authority_limit.amount
    assert offer.apology.startswith("We are sorry about the wrong order")
    assert offer.follow_up_at == T0 + 5 * MINUTE  # the manager comes by five minutes later
    assert offer.policy_version == case.policy.policy_id and offer.reasons

    case.answer(satisfied=True, csat=5, now=T0 + 6 * MINUTE)

    assert case.kinds() == ["ComplaintReceived", "RecoveryOffered", "FollowedUp"]
    assert case.last(FollowedUp).outcome == "satisfied"
    for service in ("escalation", "recovery", "followup"):
        state = case.state(service)
        assert state.status == "closed" and state.outcome == "satisfied" and not state.flagged


def test_the_public_social_complaint_nobody_answers_is_escalated_after_the_hour(case: Lifecycle) -> None:
    case.receive(
        complaint(channel="social", public=True, category="wait_time", severity="medium", amount_at_stake=None)
    )
    assert case.kinds() == ["ComplaintReceived"]  # a public complaint needs a person, not an automatic offer
    assert escalation.next_due(case.state(), case.policy) == T0 + timedelta(hours=1)

    assert case.tick(T0 + 59 * MINUTE) == []
    case.tick(T0 + 60 * MINUTE)

    escalated = case.last(Escalated)
    assert (escalated.from_level, escalated.level, escalated.reason) == ("front_line", "supervisor", "sla_breached")
    assert "1h first-response SLA" in escalated.reasons[0]
    assert escalated.sla_due_at == T0 + timedelta(hours=2)
    assert case.kinds() == ["ComplaintReceived", "Escalated", "RecoveryOffered"]
    assert case.last(RecoveryOffered).level == "supervisor"


def test_the_complex_tax_style_question_goes_to_the_specialists_not_refused(case: Lifecycle) -> None:
    case.receive(complaint(channel="phone", category="billing", severity="high", amount_at_stake=usd("1200.00")))

    escalated = case.last(Escalated)
    assert (escalated.level, escalated.department, escalated.reason) == ("department", "finance", "triage")
    assert "finance specialists answer it rather than refusing it" in escalated.reasons[0]
    assert escalated.sla_due_at == T0 + 15 * MINUTE
    assert case.kinds() == ["ComplaintReceived", "Escalated"]  # a specialist makes the offer, in person

    refund = Remedy(type="refund", amount=usd("1200.00"), description="Refund of the disputed charge.")
    emits = recovery.manual_offer(
        case.state("recovery"),
        agent="fin-3",
        level="department",
        remedies=[refund],
        apology=None,
        policy=case.policy,
        now=T0 + 10 * MINUTE,
        request_id="req-1",
    )
    case.publish(emits, T0 + 10 * MINUTE)
    offer = case.last(RecoveryOffered)
    assert (offer.level, offer.department, offer.offered_by, offer.total) == (
        "department",
        "finance",
        "fin-3",
        refund.amount,
    )
    assert escalation.next_due(case.state(), case.policy) is None  # answered within the SLA


def test_the_privacy_complaint_goes_to_privacy_and_legal(case: Lifecycle) -> None:
    case.receive(complaint(channel="email", category="privacy", severity="high", amount_at_stake=None))

    escalated = case.last(Escalated)
    assert (escalated.level, escalated.department) == ("department", "privacy_legal")
    assert escalated.sla_due_at == T0 + timedelta(hours=4)  # email, high severity
    assert "privacy & legal team" in escalated.reasons[0]


def test_the_customer_who_asks_for_a_person_gets_one(case: Lifecycle) -> None:
    case.receive(complaint(channel="chat", category="other", severity="low", wants_human=True, amount_at_stake=None))

    escalated = case.last(Escalated)
    assert (escalated.level, escalated.reason) == ("supervisor", "customer_request")
    assert case.kinds() == ["ComplaintReceived", "Escalated"]  # a person calls back, not a robot

    case.tick(T0 + 10 * MINUTE)  # nobody did: the SLA climbs to the manager, who must answer in person too
    assert case.kinds() == ["ComplaintReceived", "Escalated", "Escalated"]
    assert (case.last(Escalated).reason, case.last(Escalated).level) == ("sla_breached", "manager")


def test_the_unhappy_customer_is_reopened_one_level_up_with_a_better_offer(case: Lifecycle) -> None:
    case.receive(complaint())
    first = case.last(RecoveryOffered)

    case.answer(satisfied=False, csat=2, now=T0 + 6 * MINUTE)

    reopened = case.last(Escalated)
    assert (reopened.from_level, reopened.level, reopened.reason, reopened.episode) == (
        "front_line",
        "supervisor",
        "reopened",
        2,
    )
    second = case.last(RecoveryOffered)
    assert (second.level, second.episode, second.supersedes) == ("supervisor", 2, None)
    assert second.total.amount > first.total.amount  # a larger gesture and a credit
    assert second.follow_up_at == T0 + 11 * MINUTE  # another follow-up, minutes later
    assert case.state().status == "recovery_offered"

    case.answer(satisfied=True, csat=4, now=T0 + 12 * MINUTE)
    assert case.kinds() == [
        "ComplaintReceived",
        "RecoveryOffered",
        "FollowedUp",
        "Escalated",
        "RecoveryOffered",
        "FollowedUp",
    ]
    assert case.state("followup").status == "closed"


def test_no_answer_within_the_window_closes_the_case_flagged(case: Lifecycle) -> None:
    case.receive(complaint())
    offer = case.last(RecoveryOffered)
    assert case.tick(offer.respond_by - timedelta(seconds=1)) == []

    case.tick(offer.respond_by)

    followed = case.last(FollowedUp)
    assert (followed.outcome, followed.recorded_by, followed.satisfied) == ("no_response", "policy", None)
    assert case.state("followup").flagged and case.state("followup").status == "closed"


def test_a_remedy_beyond_the_front_line_is_escalated_instead_of_offered(case: Lifecycle) -> None:
    case.receive(complaint(category="product_defect", severity="medium", amount_at_stake=usd("80.00")))

    escalated = case.last(Escalated)
    assert (escalated.level, escalated.reason) == ("supervisor", "triage")
    assert any("raised to a supervisor" in reason for reason in escalated.reasons)
    offer = case.last(RecoveryOffered)
    assert offer.level == "supervisor" and offer.total == usd("85.00") and offer.authority_limit == usd("100.00")


def test_an_agent_cannot_offer_beyond_their_levels_authority(case: Lifecycle, policy: Policy) -> None:
    case.receive(complaint(channel="phone", category="billing", severity="high", amount_at_stake=usd("1200.00")))
    too_much = Remedy(type="refund", amount=Money(amount=Decimal("3000"), currency="USD"), description="Everything.")

    with pytest.raises(AuthorityExceeded, match=r"USD 3000.00, above the department level's authority of USD 2500.00"):
        recovery.manual_offer(
            case.state("recovery"),
            agent="fin-3",
            level="department",
            remedies=[too_much],
            apology=None,
            policy=policy,
            now=T0,
            request_id="req-2",
        )
