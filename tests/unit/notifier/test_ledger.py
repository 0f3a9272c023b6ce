"""The compensation ledger (exact decimals), fulfilment decisions and the follow-up worklist."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from complaints.domain import DomainError, NoOpenOffer, Policy, customer
from schemas.common import Money
from schemas.events import OfferFulfilled, RecoveryOffered
from services.notifier.case import CustomerCase, fold
from services.notifier.ledger import entries, follow_up_due_at, totals, worklist_item
from tests.unit.domain.helpers import T0, Lifecycle, complaint
from tests.unit.notifier.test_plan import story


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def accepted(policy: Policy) -> tuple[Lifecycle, CustomerCase, RecoveryOffered]:
    case, folded = story(policy)
    offer = case.last(RecoveryOffered)
    [emit] = customer.accept(folded.state, offer_id=offer.offer_id, answered=None)
    return case, fold(folded, emit.event, emit.event_id, T0), offer


def test_only_an_accepted_offer_is_fulfilled_for_at_most_its_total(policy: Policy) -> None:
    case, folded = story(policy)
    offer = case.last(RecoveryOffered)
    kwargs = {"offer_id": offer.offer_id, "offered": offer.total, "reference": "RF-1", "by": "till-3"}
    with pytest.raises(DomainError, match="accepted"):
        customer.fulfil(folded.state, answered=None, amount=offer.total, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="at most"):
        customer.fulfil(folded.state, answered="accepted", amount=usd(str(offer.total.amount + Decimal("0.01"))),
                        **kwargs)  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="currency"):
        customer.fulfil(folded.state, answered="accepted", amount=Money(amount=Decimal(1), currency="EUR"),
                        **kwargs)  # type: ignore[arg-type]
    with pytest.raises(NoOpenOffer):
        customer.fulfil(folded.state, answered="accepted", amount=offer.total,
                        **{**kwargs, "offer_id": "nope"})  # type: ignore[arg-type]
    [emit] = customer.fulfil(folded.state, answered="accepted", amount=offer.total, **kwargs)  # type: ignore[arg-type]
    assert isinstance(emit.event, OfferFulfilled) and emit.event.amount == offer.total


def test_the_ledger_counts_offered_accepted_and_fulfilled_exactly(policy: Policy) -> None:
    _, folded, offer = accepted(policy)
    [entry] = entries(folded)
    assert (entry.status, entry.offered, entry.level, entry.offered_by) == (
        "accepted", offer.total.amount, "front_line", "policy")
    assert entry.customer_ref == "cust-42"
    given = OfferFulfilled(complaint_id="case-1", offer_id=offer.offer_id, episode=1, amount=usd("8.50"),
                           reference="RF-1", fulfilled_by="till-3")
    done = fold(folded, given, "ful-1", T0)
    [entry] = entries(done)
    assert (entry.status, entry.fulfilled, entry.reference, entry.fulfilled_by) == (
        "fulfilled", Decimal("8.50"), "RF-1", "till-3")
    usd_totals = totals([entry, entry.model_copy(update={"offered": Decimal("0.10"), "fulfilled": Decimal("0.20"),
                                                          "offer_id": "o-2"})])["USD"]
    assert usd_totals["offers"] == 2
    assert usd_totals["offered"] == offer.total.amount + Decimal("0.10")
    assert usd_totals["fulfilled"] == Decimal("8.70")  # exact: no float anywhere
    assert set(usd_totals["by_remedy_type"]) == {r.type for r in offer.remedies}


def test_the_worklist_holds_cases_whose_follow_up_is_due(policy: Policy) -> None:
    _, folded, offer = accepted(policy)
    assert follow_up_due_at(folded) == offer.follow_up_at
    assert worklist_item(folded, offer.follow_up_at - timedelta(seconds=1)) is None
    item = worklist_item(folded, offer.follow_up_at)
    assert item is not None and item["accepted"] is True and item["offer_id"] == offer.offer_id
    fresh = fold(None, complaint("case-2"), "r-2", T0)
    assert follow_up_due_at(fresh) is None and worklist_item(fresh, T0) is None
