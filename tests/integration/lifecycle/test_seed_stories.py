"""The seed stories, end to end through intake and the three workers on a real broker.

Durations come from tests/policies/fast.yaml (seconds instead of hours), never from sleeping
through real SLAs. Each test asserts the exact event sequence of its case on the topics.
"""

from __future__ import annotations

from schemas.events import ComplaintReceived, Escalated, FollowedUp, RecoveryOffered
from tests.integration.lifecycle.story import Case
from tests.stack import Stack


def test_wrong_sandwich_front_line_recovers_and_follow_up_closes_it_satisfied(stack: Stack) -> None:
    case = Case.post(stack, channel="in_person", customer={"email": "sandwich@example.com"},
                     description="I got the wrong sandwich", amount_at_stake={"amount": "8.50", "currency": "USD"})
    received, offered = case.wait_for("ComplaintReceived", "RecoveryOffered")
    offer = offered.event
    assert isinstance(offer, RecoveryOffered)
    assert offer.level == "front_line" and offer.offered_by == "policy"
    assert {r.type for r in offer.remedies} >= {"replacement", "free_product"}
    assert offer.total.amount <= offer.authority_limit.amount
    assert offered.causation_id == received.id
    assert (offer.follow_up_at - received.event.received_at).total_seconds() < 5  # type: ignore[attr-defined]

    assert case.follow_up(satisfied=True, csat=5, comment="Lovely, thank you").status_code == 202
    *_, followed = case.wait_for("ComplaintReceived", "RecoveryOffered", "FollowedUp")
    assert isinstance(followed.event, FollowedUp)
    assert followed.event.outcome == "satisfied" and followed.event.offer_id == offer.offer_id
    assert case.follow_up(satisfied=True, csat=5).status_code == 409  # closed: nothing more to answer


def test_public_social_complaint_nobody_answers_escalates_when_the_sla_passes(stack: Stack) -> None:
    case = Case.post(stack, channel="social", public=True, customer={"handle": "@upset"},
                     description="Third tweet today and still no answer from you")
    events = case.wait_for("ComplaintReceived", "Escalated", "RecoveryOffered", timeout=25)
    escalated = events[1].event
    assert isinstance(escalated, Escalated)
    assert escalated.reason == "sla_breached" and escalated.from_level == "front_line"
    assert escalated.level == "supervisor"
    assert (events[1].time - events[0].time).total_seconds() >= 3  # the 3 s test SLA really passed
    assert isinstance(events[2].event, RecoveryOffered) and events[2].event.level == "supervisor"


def test_complex_tax_question_goes_to_the_specialist_department_not_refused(stack: Stack) -> None:
    case = Case.post(stack, channel="phone", customer={"phone": "+1 555 0100"}, category="billing",
                     severity="high", description="My tax statement shows a charge I cannot explain",
                     amount_at_stake={"amount": "1200.00", "currency": "USD"})
    _, escalated = case.wait_for("ComplaintReceived", "Escalated", settle=1.0)
    assert isinstance(escalated.event, Escalated)
    assert escalated.event.level == "department" and escalated.event.department == "finance"
    assert escalated.event.reason == "triage" and escalated.event.reasons


def test_privacy_complaint_goes_to_privacy_legal_with_high_severity(stack: Stack) -> None:
    case = Case.post(stack, channel="email", customer={"email": "private@example.com"},
                     description="You shared my personal data with advertisers")
    received, escalated = case.wait_for("ComplaintReceived", "Escalated", settle=1.0)
    assert isinstance(received.event, ComplaintReceived) and received.event.severity == "high"
    assert isinstance(escalated.event, Escalated)
    assert escalated.event.department == "privacy_legal" and escalated.event.level == "department"


def test_customer_who_asks_for_a_person_is_escalated(stack: Stack) -> None:
    case = Case.post(stack, channel="chat", wants_human=True, customer={"id": "c-77"},
                     description="I want to talk to a real person about my order")
    _, escalated = case.wait_for("ComplaintReceived", "Escalated", settle=1.0)
    assert isinstance(escalated.event, Escalated)
    assert escalated.event.reason == "customer_request" and escalated.event.level == "supervisor"


def test_unhappy_customer_after_recovery_is_reopened_one_level_up_and_offered_again(stack: Stack) -> None:
    case = Case.post(stack, channel="web", customer={"email": "unhappy@example.com"},
                     description="The kettle stopped working after a day",
                     amount_at_stake={"amount": "20.00", "currency": "USD"})
    case.wait_for("ComplaintReceived", "RecoveryOffered")
    assert case.follow_up(satisfied=False, csat=1, comment="Still broken").status_code == 202
    events = case.wait_for("ComplaintReceived", "RecoveryOffered", "FollowedUp", "Escalated", "RecoveryOffered")
    first, reopened, second = events[1].event, events[3].event, events[4].event
    assert isinstance(reopened, Escalated) and isinstance(first, RecoveryOffered)
    assert isinstance(second, RecoveryOffered)
    assert reopened.reason == "reopened" and reopened.from_level == "front_line"
    assert reopened.level == "supervisor" and reopened.episode == 2
    assert second.level == "supervisor" and second.supersedes in (None, first.offer_id)
    assert second.episode == 2 and second.total.amount >= first.total.amount

    assert case.follow_up(satisfied=True, csat=4).status_code == 202
    *_, closed = case.wait_for("ComplaintReceived", "RecoveryOffered", "FollowedUp", "Escalated",
                               "RecoveryOffered", "FollowedUp")
    assert isinstance(closed.event, FollowedUp) and closed.event.outcome == "satisfied"


def test_no_answer_within_the_window_closes_the_case_as_no_response(stack: Stack) -> None:
    case = Case.post(stack, channel="in_person", customer={"email": "silent@example.com"},
                     description="Waited 40 minutes for a table", category="wait_time")
    *_, followed = case.wait_for("ComplaintReceived", "RecoveryOffered", "FollowedUp", timeout=25)
    assert isinstance(followed.event, FollowedUp)
    assert followed.event.outcome == "no_response" and followed.event.recorded_by == "policy"
