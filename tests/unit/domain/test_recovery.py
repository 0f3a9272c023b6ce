"""Recovery: typed offers, within the authority of whoever makes them, never charging the customer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from complaints.domain import (
    AuthorityExceeded,
    CaseClosed,
    Emit,
    InvalidOffer,
    Policy,
    UnknownCase,
    parse_policy,
    recovery,
)
from schemas.common import Money
from schemas.events import RecoveryOffered, Remedy
from tests.unit.domain.helpers import T0, Lifecycle, complaint, usd

HOUR = timedelta(hours=1)


def supervisor_case(policy: Policy) -> Lifecycle:
    case = Lifecycle(policy)
    case.receive(complaint(channel="phone", category="delivery", severity="high", amount_at_stake=usd("40.00")))
    return case


def offer(case: Lifecycle, *remedies: Remedy, level: str = "supervisor", **extra: Any) -> list[Emit]:
    kwargs = {"agent": "sup-1", "apology": None, "policy": case.policy, "now": T0 + HOUR, "request_id": "req-1"}
    kwargs.update(extra)
    return recovery.manual_offer(case.state("recovery"), level=level, remedies=list(remedies), **kwargs)  # type: ignore[arg-type]


def test_an_escalation_to_an_auto_offer_level_brings_an_offer(policy: Policy) -> None:
    case = supervisor_case(policy)
    assert case.kinds() == ["ComplaintReceived", "Escalated", "RecoveryOffered"]
    made = case.last(RecoveryOffered)
    assert (made.level, made.authority_limit, made.episode, made.offered_by) == (
        "supervisor",
        usd("100.00"),
        1,
        "policy",
    )
    assert [r.type for r in made.remedies] == ["apology", "expedited_service", "account_credit"]
    assert made.follow_up_at == T0 + 2 * HOUR and made.respond_by == T0 + 2 * HOUR + timedelta(days=3)
    assert made.offer_id == case.log[-1].event_id


def test_an_agents_offer_supersedes_the_open_one(policy: Policy) -> None:
    case = supervisor_case(policy)
    first = case.last(RecoveryOffered)
    emits = offer(case, Remedy(type="refund", amount=usd("40.00"), description="Your money back."), apology="Sorry!")
    case.publish(emits, T0 + HOUR)
    raised = case.last(RecoveryOffered)
    assert (raised.supersedes, raised.offered_by, raised.apology, raised.total) == (
        first.offer_id,
        "sup-1",
        "Sorry!",
        usd("40.00"),
    )
    assert case.state("followup").open_offer is not None
    assert case.state("followup").open_offer.offer_id == raised.offer_id  # type: ignore[union-attr]


def test_an_offer_above_the_levels_authority_is_refused_naming_limit_and_total(policy: Policy) -> None:
    case = supervisor_case(policy)
    with pytest.raises(AuthorityExceeded) as info:
        offer(case, Remedy(type="refund", amount=usd("100.01"), description="Too generous."))
    assert "USD 100.01" in str(info.value) and "USD 100.00" in str(info.value)
    assert info.value.limit == usd("100.00") and info.value.total == usd("100.01")
    offer(case, Remedy(type="refund", amount=usd("60.00"), description="A."), level="manager")  # a manager may


def test_an_offer_never_charges_the_customer(policy: Policy) -> None:
    case = supervisor_case(policy)
    charge = Remedy.model_construct(
        type="refund", amount=Money.model_construct(amount=Decimal("-10"), currency="USD"), description="A fine."
    )
    with pytest.raises(InvalidOffer, match="never charges the customer"):
        offer(case, charge)


def test_an_offer_must_use_the_catalogue_one_currency_and_the_cases_level(policy: Policy) -> None:
    case = supervisor_case(policy)
    eur = Remedy(type="coupon", amount=Money(amount=Decimal("1"), currency="EUR"), description="c")
    with pytest.raises(InvalidOffer, match="mixes EUR, USD"):
        offer(case, eur, Remedy(type="refund", amount=usd("1"), description="r"))
    with pytest.raises(InvalidOffer, match="from that level or above"):
        offer(case, Remedy(type="apology", description="Sorry."), level="front_line")
    with pytest.raises(InvalidOffer, match="at least one remedy"):
        offer(case)
    narrow = parse_policy({**policy.model_dump(mode="json", exclude={"recovery"}), "recovery": _narrow(policy)})
    with pytest.raises(InvalidOffer, match="'refund' is not in the recovery catalogue"):
        offer(case, Remedy(type="refund", amount=usd("1"), description="r"), policy=narrow)


def test_no_offer_on_unknown_or_closed_cases(policy: Policy) -> None:
    with pytest.raises(UnknownCase):
        recovery.manual_offer(
            None, agent="a", level="manager", remedies=[], apology=None, policy=policy, now=T0, request_id="r"
        )
    case = Lifecycle(policy)
    case.receive(complaint())
    case.answer(satisfied=True, now=T0)
    with pytest.raises(CaseClosed):
        offer(case, Remedy(type="apology", description="Sorry."))
    late = case.log[0]
    assert recovery.on_event(case.state("recovery"), late.event, "another-id", policy, T0) == []


def test_gestures_grow_when_a_case_is_reopened(policy: Policy) -> None:
    case = Lifecycle(policy)
    case.receive(complaint())
    case.answer(satisfied=False, now=T0 + HOUR)
    second = case.last(RecoveryOffered)
    assert [(r.type, r.amount) for r in second.remedies] == [
        ("apology", None),
        ("replacement", usd("8.50")),
        ("free_product", usd("10.00")),
        ("account_credit", usd("10.00")),
    ]
    assert any("Episode 2" in reason for reason in second.reasons)


def _narrow(policy: Policy) -> dict[str, Any]:
    data = policy.recovery.model_dump(mode="json")
    data["catalogue"] = ["apology", "coupon"]
    data["recipes"] = {"default": {"items": [{"type": "coupon", "basis": "gesture", "description": "c"}]}}
    data["reopen"] = {"gesture_multiplier": "1", "extra": []}
    return data
