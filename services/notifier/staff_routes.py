"""The staff's and integrations' side of the notifier: fulfilment, the compensation ledger, the worklist.

Staff only (complaints/auth/matrix.py): the ledger and the worklist need `cases:read`; a fulfilment
needs `offers:fulfil` (agents, leads, and the `fulfilment` role of a payment system's callback) and is
recorded as the token's `sub`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from complaints.auth.http import StaffDep
from complaints.domain import customer
from complaints.domain.errors import CaseClosed, DomainError, NoOpenOffer, UnknownCase
from complaints.envelope import encode
from schemas.common import Level, Money, RemedyType
from services.notifier.desk import Desk
from services.notifier.ledger import OfferStatus, totals, worklist_item

router = APIRouter(tags=["ledger"])


class FulfilmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Money = Field(description="What it cost, exactly; in the offer's currency, at most its total.")
    reference: str = Field(min_length=1, max_length=200, description="Refund, credit or shipment reference.")


@router.post("/complaints/{complaint_id}/offers/{offer_id}/fulfilment", status_code=202,
             responses={404: {"description": "Unknown complaint or offer"},
                        409: {"description": "Not accepted, or the amount does not fit the offer"}})
async def fulfil(request: Request, complaint_id: str, offer_id: str, body: FulfilmentIn,
                 staff: StaffDep) -> dict[str, Any]:
    """Record that an accepted offer was given: `OfferFulfilled`, once, by the token's `sub`.

    Staff (agent, lead) or a payment system's callback (role `fulfilment`, which may do nothing else)."""
    desk: Desk = request.app.state.desk
    case = await asyncio.to_thread(desk.store.case, complaint_id)
    offered = case.offers[offer_id].total if case and offer_id in case.offers else None
    try:
        emits = customer.fulfil(case.state if case else None, offer_id=offer_id,
                                answered=case.answers.get(offer_id) if case else None, offered=offered,
                                amount=body.amount, reference=body.reference, by=staff.id)
    except (UnknownCase, NoOpenOffer) as exc:
        raise HTTPException(404, str(exc)) from exc
    except (CaseClosed, DomainError) as exc:
        raise HTTPException(409, str(exc)) from exc
    positions = await desk.producer.publish([encode(e.event, event_id=e.event_id, source="/complaints/notifier",
                                                    causation_id=e.causation_id, correlation_id=complaint_id)
                                             for e in emits])
    return {"complaint_id": complaint_id, "events": [e.event_id for e in emits],
            "positions": [str(p) for p in positions]}


@router.get("/ledger")
def compensation_ledger(
    request: Request,
    caller: StaffDep,
    customer_ref: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[AwareDatetime | None, Query(description="Offers made at or after (ISO 8601).")] = None,
    until: Annotated[AwareDatetime | None, Query(description="... and before.")] = None,
    remedy_type: RemedyType | None = None,
    level: Level | None = None,
    staff: Annotated[str | None, Query(max_length=200, description="Who made the offer ('policy': automatic).")] = None,
    status: OfferStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> dict[str, Any]:
    """Compensation offered, accepted and given, per offer, with exact decimal totals per currency."""
    desk: Desk = request.app.state.desk
    rows = desk.store.ledger(customer_ref=customer_ref, since=since, until=until, remedy_type=remedy_type,
                             level=level, staff=staff, status=status, limit=limit)
    return {"entries": [r.model_dump(mode="json") for r in rows],
            "totals": _as_strings(totals(rows))}


def _as_strings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _as_strings(v) for k, v in value.items()}
    return value if isinstance(value, int) else str(value)


@router.get("/worklist/follow-ups")
def follow_up_worklist(request: Request, staff: StaffDep, level: Level | None = None,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    """Cases whose follow-up is due, the longest waiting first: the senior person's calls to make."""
    desk: Desk = request.app.state.desk
    now = datetime.now(UTC)
    items = [worklist_item(case, now) for case in desk.store.follow_ups_due(now, limit)]
    return [i for i in items if i is not None and (level is None or i["level"] == level)]
