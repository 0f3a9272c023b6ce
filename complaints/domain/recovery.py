"""Recovery decisions: the policy's automatic offers and agents' manual offers → `RecoveryOffered`.

An offer never exceeds the authority of the level making it; `offer_id` is the event id.
Same wiring contract as escalation: produce the emits, then `evolve` the input and each emit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from complaints.domain import step
from complaints.domain.case import CaseFacts, CaseState, open_case
from complaints.domain.emit import Emit
from complaints.domain.errors import AuthorityExceeded, InvalidOffer
from complaints.domain.levels import rank
from complaints.domain.policy import Policy
from complaints.domain.remedy import (
    FairRemedy,
    apology_text,
    case_currency,
    declared_above_cap,
    describe,
    fair_remedy,
    money,
)
from complaints.domain.triage import triage
from complaints.domain.wording import LEVEL_LABELS, show, words
from complaints.ids import deterministic_id
from schemas.common import LEVELS, Level, Money
from schemas.events import ComplaintReceived, Escalated, Event, RecoveryOffered, Remedy


def on_event(state: CaseState | None, event: Event, event_id: str, policy: Policy, now: datetime) -> list[Emit]:
    """Offer automatically when the case's owning level may (front line from triage, else its level's policy)."""
    return list(step.consume(state, event, event_id, now, lambda after, ev: react(after, ev, policy, now), now).emits)


def react(after: CaseState, event: Event, policy: Policy, now: datetime) -> list[Emit]:
    """`on_event` for a shell that has already folded `event` into the state (it folds once, not twice)."""
    if not isinstance(event, ComplaintReceived | Escalated) or after.closed or after.facts is None:
        return []
    if after.responded:
        return []
    return _automatic_offer(after, after.facts, policy, now)


def manual_offer(
    state: CaseState | None,
    *,
    agent: str,
    level: Level,
    remedies: Sequence[Remedy],
    apology: str | None,
    policy: Policy,
    now: datetime,
    request_id: str,
) -> list[Emit]:
    """An agent's offer at `level`, checked against that level's authority; supersedes the open offer."""
    state, facts = open_case(state, "no new offer can be made")
    if level not in LEVELS:
        raise InvalidOffer(f"Unknown level {level!r}; levels are {', '.join(LEVELS)}.")
    if rank(level) < rank(state.level):
        raise InvalidOffer(f"The case is owned at {state.level} level; an offer must come from that level or above.")
    if not agent.strip():
        raise InvalidOffer("An offer needs the id of the agent making it.")
    if not remedies:
        raise InvalidOffer("An offer needs at least one remedy (an apology, at least).")
    for item in remedies:
        if item.type not in policy.recovery.catalogue:
            known = ", ".join(policy.recovery.catalogue)
            raise InvalidOffer(f"'{item.type}' is not in the recovery catalogue: {known}.")
        if item.amount is not None and (not item.amount.amount.is_finite() or item.amount.amount < 0):
            raise InvalidOffer(f"The {words(item.type)} has a negative amount: an offer never charges the customer.")
    currencies = {r.amount.currency for r in remedies if r.amount is not None}
    if len(currencies) > 1:
        raise InvalidOffer(f"An offer is in one currency; this one mixes {', '.join(sorted(currencies))}.")
    currency = currencies.pop() if currencies else case_currency(facts, policy)
    total = money(sum((r.amount.amount for r in remedies if r.amount is not None), Decimal(0)), currency)
    limit = policy.authority(level, currency)
    if limit is None:
        raise AuthorityExceeded(f"The {level} level has no authority in {currency}.", limit=None, total=total)
    if total.amount > limit.amount:
        raise AuthorityExceeded(
            f"The offer totals {show(total)}, above the {level} level's authority of {show(limit)}: "
            "escalate the case, or offer less.",
            limit=limit,
            total=total,
        )
    reasons = (f"Offered by {agent} at the {words(level)} level, within its authority of {show(limit)}.",)
    offer_id = deterministic_id("RecoveryOffered", state.complaint_id, "manual", request_id)
    text = apology.strip() if apology and apology.strip() else apology_text(facts, level, policy)
    event = _offer(
        state,
        facts,
        offer_id,
        level,
        remedies=tuple(remedies),
        total=total,
        limit=limit,
        apology=text,
        offered_by=agent,
        reasons=reasons,
        policy=policy,
        now=now,
    )
    return [Emit(event, offer_id, request_id)]


def _automatic_offer(state: CaseState, facts: CaseFacts, policy: Policy, now: datetime) -> list[Emit]:
    if facts.wants_human:
        return []  # a customer who asked for a person gets one, at every level and in every episode
    current = state.current_escalation
    if current is None:
        if state.episode != 1 or state.escalations or state.received_id is None:
            return []  # a reopen whose escalation has not arrived yet
        decided = triage(facts, policy)
        if decided.level != "front_line" or not decided.auto_offer:
            return []
        cause, reasons, at = state.received_id, [decided.reasons[0]], facts.received_at
    else:
        auto = policy.auto_offer(current.level)
        if current.episode == 1 and current.reason in ("triage", "customer_request"):
            decided = triage(facts, policy)
            auto = decided.auto_offer if decided.level == current.level else auto
        if not auto:
            return []
        cause, at = current.event_id, current.at or now
        reasons = [f"The case is with {LEVEL_LABELS[current.level]} ({words(current.reason)})."]
    priced = automatic_remedy(facts, state.episode, state.level, policy)
    if priced is None:
        return []
    remedy, limit = priced
    owner = LEVEL_LABELS[state.level]
    reasons.append(
        f"{owner[0].upper()}{owner[1:]} offers the standard remedy for a {words(facts.category)} complaint: "
        f"{describe(remedy)}, within its authority of {show(limit)}."
    )
    if state.episode > 1:
        reasons.append(f"Episode {state.episode}: the customer came back unhappy, so the reopen gesture is added.")
    reasons += remedy.notes
    offer_id = deterministic_id("RecoveryOffered", cause)
    apology = apology_text(facts, state.level, policy)
    event = _offer(
        state,
        facts,
        offer_id,
        state.level,
        remedies=remedy.remedies,
        total=remedy.total,
        limit=limit,
        apology=apology,
        offered_by="policy",
        reasons=reasons,
        policy=policy,
        now=at,
    )
    # Its time is its cause's (the escalation, or the complaint the front line owns), not the time of
    # whichever of the case's events happened to arrive last: re-decided, it is the same offer, byte for byte.
    return [Emit(event, offer_id, cause, at=at)]


def automatic_remedy(facts: CaseFacts, episode: int, level: Level, policy: Policy,
                     remedy: FairRemedy | None = None) -> tuple[FairRemedy, Money] | None:
    """The fair remedy `level` may offer on its own when its policy lets it, with the level's limit; None when a
    person decides: the customer asked for one, the declared amount is above the cap (triage's reasons say
    so), or the remedy is above the level's authority (escalation moves the case to a level that covers it).
    `remedy`: the episode's `fair_remedy`, when the caller has it already (the what-if)."""
    if facts.wants_human or declared_above_cap(facts, policy) is not None:
        return None
    remedy = fair_remedy(facts, episode, policy) if remedy is None else remedy
    limit = policy.authority(level, remedy.total.currency)
    if limit is None or remedy.total.amount > limit.amount:
        return None
    return remedy, limit


def _offer(
    state: CaseState,
    facts: CaseFacts,
    offer_id: str,
    level: Level,
    *,
    remedies: tuple[Remedy, ...],
    total: Money,
    limit: Money,
    apology: str,
    offered_by: str,
    reasons: Sequence[str],
    policy: Policy,
    now: datetime,
) -> RecoveryOffered:
    follow_up_at = now + policy.follow_up_delay(facts.channel)
    open_offer = state.open_offer
    return RecoveryOffered(
        complaint_id=state.complaint_id,
        offer_id=offer_id,
        supersedes=open_offer.offer_id if open_offer is not None and open_offer.offer_id != offer_id else None,
        remedies=remedies,
        total=total,
        apology=apology,
        level=level,
        department=state.department,
        authority_limit=limit,
        offered_by=offered_by,
        reasons=tuple(reasons),
        follow_up_at=follow_up_at,
        respond_by=follow_up_at + policy.follow_up.answer_window,
        episode=state.episode,
        policy_version=policy.policy_id,
    )
