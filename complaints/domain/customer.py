"""The customer's own answers, through their link: accept or decline the offer, answer the follow-up;
and the fulfilment of an accepted offer (staff or an integration).

A decline is handled like an unhappy follow-up: it is recorded as `OfferDeclined` together with the
follow-up decision's `FollowedUp` (outcome `unsatisfied`, recorded by "customer"), and that reopens
the case one level up, where a new offer is made — the same path as any unsatisfied answer.
Every id is deterministic per offer, so a repeated click publishes the same events again (a no-op).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from complaints.domain import followup
from complaints.domain.case import CaseState, OfferRecord
from complaints.domain.emit import Emit
from complaints.domain.errors import CaseClosed, DomainError, NoOpenOffer, UnknownCase
from complaints.domain.policy import Policy
from complaints.domain.wording import show
from complaints.ids import deterministic_id
from schemas.common import Money, Sealed
from schemas.events import OfferAccepted, OfferDeclined, OfferFulfilled

CUSTOMER = "customer"
Answer = Literal["accepted", "declined"]


class AlreadyAnswered(DomainError):
    """The customer already accepted or declined this offer."""


def offer_open_to(state: CaseState | None, offer_id: str) -> OfferRecord:
    """The offer the customer may still accept or decline, or the reason they cannot."""
    if state is None:
        raise UnknownCase("There is no such complaint.")
    if state.closed:
        raise CaseClosed("This complaint is closed.")
    offer = state.offer_awaiting_answer
    if offer is None or offer.offer_id != offer_id:
        raise NoOpenOffer("This offer is no longer open: a newer one may be on its way.")
    return offer


def follow_up_due(state: CaseState | None, now: datetime) -> OfferRecord | None:
    """The offer whose follow-up question the customer may answer now (its `follow_up_at` has come)."""
    if state is None or state.closed:
        return None
    offer = state.offer_awaiting_answer
    return offer if offer is not None and now >= offer.follow_up_at else None


def accept(state: CaseState | None, *, offer_id: str, answered: Answer | None) -> list[Emit]:
    offer = offer_open_to(state, offer_id)
    if answered == "declined":
        raise AlreadyAnswered("You declined this offer; a new one is on its way.")
    assert state is not None
    event = OfferAccepted(complaint_id=state.complaint_id, offer_id=offer.offer_id, episode=offer.episode,
                          recorded_by=CUSTOMER)
    return [Emit(event, deterministic_id("OfferAccepted", offer.offer_id), offer.offer_id)]


def decline(state: CaseState | None, *, offer_id: str, answered: Answer | None, comment: Sealed | None,
            policy: Policy, now: datetime) -> list[Emit]:
    offer = offer_open_to(state, offer_id)
    if answered == "accepted":
        raise AlreadyAnswered("You accepted this offer already.")
    assert state is not None
    event = OfferDeclined(complaint_id=state.complaint_id, offer_id=offer.offer_id, episode=offer.episode,
                          recorded_by=CUSTOMER)
    unhappy = followup.answer(state, satisfied=False, csat=None, comment=comment, agent=CUSTOMER, policy=policy,
                              now=now)
    return [Emit(event, deterministic_id("OfferDeclined", offer.offer_id), offer.offer_id), *unhappy]


def answer_follow_up(state: CaseState | None, *, satisfied: bool, csat: int | None, comment: Sealed | None,
                     policy: Policy, now: datetime) -> list[Emit]:
    """The customer's answer to "how did it go?", once it is due: the follow-up decision, by "customer"."""
    if state is not None and not state.closed and follow_up_due(state, now) is None \
            and state.offer_awaiting_answer is not None:
        raise NoOpenOffer("We will ask how it went a little later.")
    return followup.answer(state, satisfied=satisfied, csat=csat, comment=comment, agent=CUSTOMER, policy=policy,
                           now=now)


def fulfil(state: CaseState | None, *, offer_id: str, answered: Answer | None, offered: Money | None,
           amount: Money, reference: str, by: str) -> list[Emit]:
    """An accepted offer was given: `OfferFulfilled`, once per offer, for at most what was offered.

    `offered` is the offer's total (None when the offer is unknown); the case may be closed already
    (the follow-up can come before the refund lands): what was promised is still given.
    """
    if state is None:
        raise UnknownCase("There is no such complaint.")
    offer = next((o for o in state.offers if o.offer_id == offer_id), None)
    if offer is None or offered is None:
        raise NoOpenOffer(f"Complaint {state.complaint_id} has no offer {offer_id}.")
    if answered != "accepted":
        raise DomainError("Only an offer the customer accepted is fulfilled.")
    if amount.currency != offered.currency or amount.amount > offered.amount:
        raise DomainError(f"The amount ({show(amount)}) must be in the offer's currency and at most its total "
                          f"({show(offered)}).")
    if not reference.strip() or not by.strip():
        raise DomainError("A fulfilment needs its reference and who fulfilled it.")
    event = OfferFulfilled(complaint_id=state.complaint_id, offer_id=offer_id, episode=offer.episode, amount=amount,
                           reference=reference.strip(), fulfilled_by=by.strip())
    return [Emit(event, deterministic_id("OfferFulfilled", offer_id), offer_id)]
