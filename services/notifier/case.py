"""What the notifier knows of one case: the lifecycle state, the sealed contact, the offers and their fate.

`fold` is pure and idempotent (an event id already folded changes nothing), so a redelivered
record is harmless. No clear personal data is ever held here: the contact stays sealed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from complaints.domain.case import CaseState, evolve
from schemas.common import Level, Money, Sealed
from schemas.events import (
    CASEWORK_EVENT_CLASSES,
    ComplaintReceived,
    CustomerReplied,
    Escalated,
    Event,
    FollowedUp,
    OfferAccepted,
    OfferDeclined,
    OfferFulfilled,
    RecoveryOffered,
    Remedy,
)

Answer = Literal["accepted", "declined"]
LIFECYCLE: tuple[type[Event], ...] = (ComplaintReceived, Escalated, RecoveryOffered, FollowedUp,
                                      *CASEWORK_EVENT_CLASSES)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OfferTerms(_Frozen):
    """An offer as the customer is told it (apology, remedies) and as the ledger counts it."""

    offer_id: str
    apology: str
    remedies: tuple[Remedy, ...]
    total: Money
    follow_up_at: datetime
    respond_by: datetime
    level: Level
    offered_by: str
    episode: int
    supersedes: str | None = None
    offered_at: datetime

    @classmethod
    def of(cls, offer: RecoveryOffered, at: datetime) -> OfferTerms:
        return cls.model_validate({**offer.model_dump(include=set(cls.model_fields) - {"offered_at"}),
                                   "offered_at": at})


class Fulfilment(_Frozen):
    amount: Money
    reference: str
    fulfilled_by: str
    at: datetime


class CustomerCase(_Frozen):
    complaint_id: str
    state: CaseState | None = None
    contact: Sealed | None = None  # ComplaintReceived.personal, still sealed
    offers: dict[str, OfferTerms] = {}
    answers: dict[str, Answer] = {}
    fulfilments: dict[str, Fulfilment] = {}
    replies: dict[str, Sealed] = {}  # CustomerReplied id -> its message, still sealed (opened to send it)
    seen: tuple[str, ...] = ()  # ids of the customer's answers folded (the lifecycle's are in state.applied)

    def knows(self, event_id: str) -> bool:
        return event_id in self.seen or (self.state is not None and event_id in self.state.applied)


def fold(case: CustomerCase | None, event: Event, event_id: str, at: datetime) -> CustomerCase:
    """Apply one event (any type the notifier reads); an id already applied returns `case` unchanged."""
    case = case or CustomerCase(complaint_id=event.complaint_id)
    if case.knows(event_id):
        return case
    if isinstance(event, OfferFulfilled):
        done = Fulfilment(amount=event.amount, reference=event.reference, fulfilled_by=event.fulfilled_by, at=at)
        fulfilments = {**case.fulfilments, event.offer_id: case.fulfilments.get(event.offer_id, done)}
        return case.model_copy(update={"fulfilments": fulfilments, "seen": (*case.seen, event_id)})
    if isinstance(event, OfferAccepted | OfferDeclined):
        answer: Answer = "accepted" if isinstance(event, OfferAccepted) else "declined"
        answers = {**case.answers, event.offer_id: case.answers.get(event.offer_id, answer)}  # the first stands
        return case.model_copy(update={"answers": answers, "seen": (*case.seen, event_id)})
    if not isinstance(event, LIFECYCLE):
        raise TypeError(f"the notifier does not read {type(event).__name__}")
    update: dict[str, object] = {"state": evolve(case.state, event, event_id, at)}
    if isinstance(event, ComplaintReceived) and case.contact is None:
        update["contact"] = event.personal
    if isinstance(event, CustomerReplied):
        update["replies"] = {**case.replies, event_id: event.message}
    if isinstance(event, RecoveryOffered):
        update["offers"] = {**case.offers, event.offer_id: OfferTerms.of(event, at)}
    return case.model_copy(update=update)
