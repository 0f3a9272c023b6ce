"""Follow-up decisions: the customer's answer to an offer, or its absence → `FollowedUp`.

One follow-up per offer, whichever path records it: its id is `deterministic_id("FollowedUp", offer_id)`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from complaints.domain.case import CaseState, OfferRecord, open_case
from complaints.domain.durations import format_duration
from complaints.domain.emit import Emit
from complaints.domain.errors import DomainError, NoOpenOffer
from complaints.domain.policy import Policy
from complaints.domain.wording import when
from complaints.ids import deterministic_id
from schemas.common import FollowUpOutcome, Sealed
from schemas.events import FollowedUp


def followup_id(offer_id: str) -> str:
    return deterministic_id("FollowedUp", offer_id)


def answer(
    state: CaseState | None,
    *,
    satisfied: bool,
    csat: int | None,
    comment: Sealed | None,
    agent: str,
    policy: Policy,
    now: datetime,
) -> list[Emit]:
    """Record the customer's answer to the open offer: satisfied closes the case, unsatisfied reopens it."""
    state, _ = open_case(state, "there is nothing left to answer")
    offer = state.open_offer
    if offer is None:
        raise NoOpenOffer(f"Complaint {state.complaint_id} has no recovery offer waiting for an answer.")
    if csat is not None and not 1 <= csat <= 5:
        raise DomainError(f"csat is a score from 1 to 5 (got {csat}).")
    if not agent.strip():
        raise DomainError("A follow-up needs the id of the person who recorded it.")
    outcome: FollowUpOutcome = "satisfied" if satisfied else "unsatisfied"
    score = f" (CSAT {csat})" if csat is not None else ""
    if satisfied:
        why = (f"{agent} recorded that the customer is satisfied with the offer{score}: the case closes.",)
    else:
        why = (f"{agent} recorded that the customer is not satisfied with the offer{score}: "
               f"the case reopens (episode {offer.episode + 1}) one level up.",)
    return [_followed_up(state, offer, outcome, policy, why, satisfied=satisfied, csat=csat, comment=comment,
                         by=agent)]


def on_tick(state: CaseState, policy: Policy, now: datetime) -> list[Emit]:
    """The answer window passed without an answer: close as no_response (flagged)."""
    offer = state.offer_awaiting_answer
    if state.closed or offer is None or now < offer.respond_by:
        return []
    why = (f"No answer from the customer by {when(offer.respond_by)}: the follow-up was due at "
           f"{when(offer.follow_up_at)} and the policy waits {format_duration(policy.follow_up.answer_window)} "
           "for an answer.",
           "The case closes as no_response and is flagged for a person to review.")
    closing = _followed_up(state, offer, "no_response", policy, why, satisfied=None, csat=None, comment=None,
                           by="policy")
    return [replace(closing, at=offer.respond_by)]  # it closed when the answer window ended


def next_due(state: CaseState) -> datetime | None:
    """When the open offer's answer window ends (index this for the timer); None when nothing is pending."""
    offer = state.offer_awaiting_answer
    return None if state.closed or offer is None else offer.respond_by


def _followed_up(
    state: CaseState,
    offer: OfferRecord,
    outcome: FollowUpOutcome,
    policy: Policy,
    reasons: tuple[str, ...],
    *,
    satisfied: bool | None,
    csat: int | None,
    comment: Sealed | None,
    by: str,
) -> Emit:
    event = FollowedUp(
        complaint_id=state.complaint_id,
        offer_id=offer.offer_id,
        outcome=outcome,
        satisfied=satisfied,
        csat=csat,
        comment=comment,
        episode=offer.episode,
        policy_version=policy.policy_id,
        recorded_by=by,
        reasons=reasons,
    )
    return Emit(event, followup_id(offer.offer_id), offer.offer_id)
