"""Triage decides who owns a complaint, and always says why."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from complaints.domain import Policy, triage
from schemas.common import Money
from tests.unit.domain.helpers import T0, complaint, usd


def test_a_small_everyday_failure_stays_with_the_front_line(policy: Policy) -> None:
    decided = triage(complaint(), policy)
    assert (decided.level, decided.department, decided.escalation_reason, decided.auto_offer) == (
        "front_line",
        None,
        None,
        True,
    )
    assert decided.remedy.total == usd("13.50")
    assert decided.sla_due_at == T0 + timedelta(minutes=10)


def test_triage_is_deterministic(policy: Policy) -> None:
    received = complaint(category="billing", severity="medium", amount_at_stake=usd("900"))
    assert triage(received, policy) == triage(received, policy)


def test_the_first_matching_rule_wins(policy: Policy) -> None:
    privacy_and_person = triage(complaint(category="privacy", wants_human=True), policy)
    assert (privacy_and_person.level, privacy_and_person.department) == ("department", "privacy_legal")
    assert privacy_and_person.escalation_reason == "customer_request"


def test_repeat_customers_and_public_complaints_weigh_more(policy: Policy) -> None:
    assert triage(complaint(prior_complaints=3), policy).level == "supervisor"
    public = triage(complaint(channel="social", public=True, amount_at_stake=None), policy)
    assert (public.level, public.auto_offer) == ("front_line", False)
    assert public.sla_due_at == T0 + timedelta(hours=1)


def test_a_large_billing_question_goes_to_finance(policy: Policy) -> None:
    decided = triage(complaint(category="billing", severity="medium", amount_at_stake=usd("800")), policy)
    assert (decided.level, decided.department, decided.auto_offer) == ("department", "finance", False)


def test_the_level_is_raised_until_its_authority_covers_the_fair_remedy(policy: Policy) -> None:
    decided = triage(complaint(category="billing", severity="low", amount_at_stake=usd("150")), policy)
    assert decided.level == "manager" and decided.remedy.total == usd("155.00")
    assert decided.reasons[:1] == (  # then the declared-amount cap (test_declared_cap.py)
        "The fair remedy (USD 155.00) is above the authority of the front line (USD 25.00): "
        "raised to a manager (authority USD 500.00).",
    )


def test_beyond_every_authority_an_executive_decides(policy: Policy) -> None:
    decided = triage(complaint(category="product_defect", amount_at_stake=usd("50000")), policy)
    assert (decided.level, decided.department, decided.auto_offer) == ("executive", "product", False)
    assert "above every level's authority" in decided.reasons[-2]


def test_a_currency_the_policy_does_not_know_goes_to_a_person(policy: Policy) -> None:
    yen = Money(amount=Decimal("1200"), currency="JPY")
    decided = triage(complaint(amount_at_stake=yen), policy)
    assert decided.remedy.total.currency == "JPY" and not decided.auto_offer
    assert "No gesture amount in JPY" in decided.remedy.notes[0]


def test_an_unknown_amount_keeps_in_kind_remedies_and_drops_money_ones(policy: Policy) -> None:
    sandwich = triage(complaint(amount_at_stake=None), policy).remedy
    assert [(r.type, r.amount) for r in sandwich.remedies] == [
        ("apology", None),
        ("replacement", None),
        ("free_product", usd("5.00")),
    ]
    bill = triage(complaint(category="billing", amount_at_stake=None), policy).remedy
    assert [r.type for r in bill.remedies] == ["apology", "account_credit"]
    assert bill.notes == ("The amount at stake is unknown: the refund is left out.",)
