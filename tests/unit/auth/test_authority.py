"""Authority from identity: the token's level and departments decide, with the policy's limits."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from complaints.auth.authority import NotPermitted, acting_as, refusal
from complaints.auth.staff import Staff
from complaints.domain import recovery
from complaints.domain.case import CaseState, evolve
from complaints.domain.policy import Policy
from schemas.common import Money, Sealed
from schemas.events import ComplaintReceived, Remedy

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def staff(level: str, *departments: str) -> Staff:
    return Staff.model_validate({"id": "s-1", "level": level, "departments": departments, "roles": ["agent"]})


def test_a_case_above_the_tokens_level_is_not_its_to_act_on() -> None:
    problem = refusal(staff("front_line"), "manager", None)
    assert problem is not None and "a manager" in str(problem) and "front line token" in str(problem)
    assert refusal(staff("manager"), "manager", None) is None
    assert refusal(staff("executive"), "supervisor", None) is None


def test_a_departments_case_needs_a_token_of_that_department() -> None:
    problem = refusal(staff("department", "hr"), "department", "finance")
    assert problem is not None and "finance department" in str(problem) and "hr" in str(problem)
    assert refusal(staff("department", "finance"), "department", "finance") is None
    assert refusal(staff("executive"), "department", "finance") is None  # above the department


def sandwich(policy: Policy) -> CaseState:
    """The README's wrong sandwich (USD 8.50, in person), as intake records it."""
    event = ComplaintReceived(
        complaint_id="c-1", channel="in_person", customer_ref="cust-1",
        personal=Sealed(key_ref="cust-1", nonce="bm9uY2U", ciphertext="c2VhbGVk"), category="wrong_order",
        category_source="customer", severity="low", severity_source="classified",
        amount_at_stake=Money(amount=Decimal("8.50"), currency="USD"), received_at=NOW, prior_complaints=0)
    return evolve(None, event, "e-1", NOW)


def offer(amount: str, by: Staff, state: CaseState, policy: Policy) -> list[object]:
    refund = Remedy(type="refund", amount=Money(amount=Decimal(amount), currency="USD"), description="A refund")
    decide = acting_as(by, lambda s: recovery.manual_offer(
        s, agent=by.id, level=by.level, remedies=[refund], apology=None, policy=policy, now=NOW, request_id="r-1"),
        policy)
    return list(decide(state))


def test_an_offer_above_the_tokens_authority_names_the_limit_and_who_could_make_it(policy: Policy) -> None:
    state = sandwich(policy)
    with pytest.raises(NotPermitted) as refused:
        offer("9000", staff("front_line"), state, policy)
    assert "USD 25.00" in str(refused.value) and "An executive (authority USD 10000.00) could make it" in str(
        refused.value)
    assert refused.value.details["could_be_made_by"] == "executive"
    assert refused.value.details["limit"] == {"amount": "25.00", "currency": "USD"}
    [emit] = offer("9000", staff("executive"), state, policy)
    assert emit.event.offered_by == "s-1" and emit.event.level == "executive"  # type: ignore[attr-defined]


def test_an_offer_no_level_could_make_says_so(policy: Policy) -> None:
    with pytest.raises(NotPermitted, match="No level's authority covers it"):
        offer("20000", staff("executive"), sandwich(policy), policy)
