"""The compensation ledger and the follow-up worklist, derived from a case (pure).

One ledger entry per offer: what was offered (each remedy, exact decimals), whether the customer
accepted or declined it, and what was given (fulfilment: reference, amount, who). Totals are
exact `Decimal` sums per currency. Derived from the case the notifier folds, so a rebuild from
the topics (`replay.rebuild`) yields the same ledger as the live one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from complaints.domain import customer
from services.notifier.case import CustomerCase

OfferStatus = Literal["offered", "accepted", "declined", "superseded", "fulfilled"]


class LedgerEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    offer_id: str
    complaint_id: str
    customer_ref: str | None
    offered_at: datetime
    level: str
    offered_by: str
    currency: str
    offered: Decimal
    remedies: tuple[dict[str, Any], ...]
    status: OfferStatus
    fulfilled: Decimal | None = None
    reference: str | None = None
    fulfilled_by: str | None = None
    fulfilled_at: datetime | None = None


def entries(case: CustomerCase) -> list[LedgerEntry]:
    facts = case.state.facts if case.state else None
    superseded = {o.supersedes for o in case.offers.values() if o.supersedes}
    out = []
    for offer in case.offers.values():
        done = case.fulfilments.get(offer.offer_id)
        answer = case.answers.get(offer.offer_id)
        status: OfferStatus = ("fulfilled" if done else answer if answer else
                               "superseded" if offer.offer_id in superseded else "offered")
        out.append(LedgerEntry(
            offer_id=offer.offer_id, complaint_id=case.complaint_id, customer_ref=facts.customer_ref if facts else None,
            offered_at=offer.offered_at, level=offer.level, offered_by=offer.offered_by,
            currency=offer.total.currency, offered=offer.total.amount,
            remedies=tuple({"type": r.type, "amount": str(r.amount.amount) if r.amount else "0.00"}
                           for r in offer.remedies),
            status=status, fulfilled=done.amount.amount if done else None, reference=done.reference if done else None,
            fulfilled_by=done.fulfilled_by if done else None, fulfilled_at=done.at if done else None))
    return sorted(out, key=lambda e: (e.offered_at, e.offer_id))


def totals(rows: Iterable[LedgerEntry]) -> dict[str, dict[str, Any]]:
    """Per currency: offers, and the exact sums offered / accepted / fulfilled, and offered per remedy type."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        cur = out.setdefault(row.currency, {"offers": 0, "offered": Decimal("0.00"), "accepted": Decimal("0.00"),
                                            "fulfilled": Decimal("0.00"), "by_remedy_type": {}})
        cur["offers"] += 1
        cur["offered"] += row.offered
        if row.status in ("accepted", "fulfilled"):
            cur["accepted"] += row.offered
        if row.fulfilled is not None:
            cur["fulfilled"] += row.fulfilled
        for item in row.remedies:
            by_type = cur["by_remedy_type"]
            by_type[item["type"]] = by_type.get(item["type"], Decimal("0.00")) + Decimal(item["amount"])
    return out


def follow_up_due_at(case: CustomerCase) -> datetime | None:
    """When this case's follow-up call is due (None: nothing to follow up); the worklist's index."""
    state = case.state
    if state is None or state.closed:
        return None
    offer = state.offer_awaiting_answer
    if offer is None or case.answers.get(offer.offer_id) == "declined":
        return None
    return offer.follow_up_at


def worklist_item(case: CustomerCase, now: datetime) -> dict[str, Any] | None:
    state = case.state
    due = customer.follow_up_due(state, now)
    if state is None or due is None:
        return None
    return {"complaint_id": case.complaint_id, "offer_id": due.offer_id, "level": state.level,
            "department": state.department, "follow_up_at": due.follow_up_at, "respond_by": due.respond_by,
            "accepted": case.answers.get(due.offer_id) == "accepted"}
