"""Models built without re-validation (`complaints/domain/trusted.py`) are the validated models."""

from __future__ import annotations

from decimal import Decimal

from complaints.domain import Policy
from complaints.domain.case import CaseFacts
from complaints.domain.remedy import fair_remedy, money
from complaints.domain.triage import Triage, triage
from schemas.common import Money
from schemas.events import Remedy
from tests.unit.domain.helpers import complaint


def test_money_and_remedies_equal_their_validated_twins(policy: Policy) -> None:
    assert money(Decimal("8.505"), "USD") == Money(amount=Decimal("8.51"), currency="USD")
    assert money(Decimal("8.505"), "USD").model_dump(mode="json") == {"amount": "8.51", "currency": "USD"}
    facts = CaseFacts.of(complaint())
    remedy = fair_remedy(facts, 2, policy)
    for r in remedy.remedies:
        assert Remedy.model_validate(r.model_dump()) == r
    assert type(remedy).model_validate(remedy.model_dump()) == remedy
    assert policy.authority("front_line", "USD") == Money(amount=policy.levels["front_line"].authority_limit["USD"],
                                                          currency="USD")


def test_facts_and_triage_equal_their_validated_twins(policy: Policy) -> None:
    received = complaint(public=True, channel="social", prior_complaints=4)
    facts = CaseFacts.of(received)
    assert facts == CaseFacts.model_validate(received.model_dump(include=set(CaseFacts.model_fields)))
    assert facts.model_fields_set == set(CaseFacts.model_fields)
    decided = triage(received, policy)
    assert Triage.model_validate(decided.model_dump()) == decided
