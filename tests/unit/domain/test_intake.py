"""Intake classifies what the customer did not say, so they never need to know our process."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from complaints.domain import Policy
from complaints.domain.intake import classify_category, classify_severity, complaint_id_for, fingerprint
from schemas import Money


@pytest.mark.parametrize(("text", "category"), [
    ("They sold my personal data to advertisers", "privacy"),
    ("I was charged twice for one coffee", "billing"),
    ("My parcel is three weeks late", "delivery"),
    ("I got the wrong sandwich", "wrong_order"),
    ("The kettle stopped working after a day", "product_defect"),
    ("The cashier was rude to me", "staff_conduct"),
    ("I waited 28 minutes on hold", "wait_time"),
    ("You fined me $500 for a bad review", "policy"),
    ("Something odd happened", "other"),
])
def test_category_is_classified_from_the_description(text: str, category: str, policy: Policy) -> None:
    assert classify_category(text, policy)[0] == category


def test_severity_weighs_privacy_money_and_publicity(policy: Policy) -> None:
    def severity(category: Any, channel: Any, public: bool, amount: Money | None) -> str:
        return classify_severity(category, channel, public, amount, policy)[0]

    assert severity("privacy", "email", False, None) == "high"
    assert severity("billing", "phone", False, Money(amount=Decimal("900"), currency="USD")) == "high"
    assert severity("other", "social", False, None) == "medium"
    assert severity("other", "web", True, None) == "medium"
    assert severity("wrong_order", "in_person", False, Money(amount=Decimal("8.5"), currency="USD")) == "low"


def test_same_body_same_fingerprint_and_same_key_same_complaint() -> None:
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
    assert complaint_id_for("k") == complaint_id_for("k") != complaint_id_for("k2")
