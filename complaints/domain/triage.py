"""Triage: who owns a new complaint, and why. Deterministic: escalation and recovery both call it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from complaints.domain.case import CaseFacts
from complaints.domain.levels import rank
from complaints.domain.policy import Match, Policy, TriageOutcome
from complaints.domain.remedy import FairRemedy, declared_above_cap, fair_remedy
from complaints.domain.wording import LEVEL_LABELS, show, words
from schemas.common import Department, EscalationReason, Level
from schemas.events import ComplaintReceived


class Triage(BaseModel):
    model_config = ConfigDict(frozen=True)

    level: Level
    department: Department | None
    reasons: tuple[str, ...]
    escalation_reason: EscalationReason | None  # None: the front line owns the case
    auto_offer: bool  # the recovery service offers the fair remedy on its own
    remedy: FairRemedy
    sla_due_at: datetime  # first response due at `level`


def triage(received: ComplaintReceived | CaseFacts, policy: Policy) -> Triage:
    """First matching rule, then: a person if asked for, and a level whose authority covers the fair remedy."""
    facts = received if isinstance(received, CaseFacts) else CaseFacts.of(received)
    decided = _first_match(facts, policy)
    level, department, auto = decided.level, decided.department, decided.auto_offer
    reasons = [decided.reason]
    wanted = policy.triage.customer_request_level
    if facts.wants_human and rank(level) < rank(wanted):
        level, auto = wanted, None
        reasons.append(f"The customer asked for a person: {LEVEL_LABELS[wanted]} takes the case.")
    remedy = fair_remedy(facts, 1, policy)
    covered = policy.covering_level(remedy.total, level)
    fits = covered is not None
    owner = LEVEL_LABELS[level]
    if covered is None:
        reasons.append(
            f"The fair remedy ({show(remedy.total)}) is above every level's authority: an executive decides the offer."
        )
        level, auto = "executive", None
    elif covered != level:
        limit = policy.authority(level, remedy.total.currency)
        reasons.append(
            f"The fair remedy ({show(remedy.total)}) is above the authority of {owner} ({show(limit)}): "
            f"raised to {LEVEL_LABELS[covered]} (authority {show(policy.authority(covered, remedy.total.currency))})."
        )
        level, auto = covered, None
    else:
        limit = policy.authority(level, remedy.total.currency)
        reasons.append(f"The fair remedy ({show(remedy.total)}) is within the authority of {owner} ({show(limit)}).")
    if decided is policy.triage.default and level != decided.level:
        reasons.remove(decided.reason)  # "the front line can handle it" no longer holds
    if department is None and rank(level) >= rank("department"):
        department = policy.department_for(facts.category)
        reasons.append(f"The {words(department)} department answers {words(facts.category)} complaints.")
    automatic = fits and not facts.wants_human and (policy.auto_offer(level) if auto is None else auto)
    capped = declared_above_cap(facts, policy) if automatic else None
    if capped is not None:  # said only where the cap is what stops the automatic offer
        reasons.append(capped)
    if facts.wants_human:
        reasons.append(f"A person answers: no automatic offer for a customer who asked for one; "
                       f"the case waits for {LEVEL_LABELS[level]}, and its SLA still climbs if nobody answers.")
    reason: EscalationReason | None = None
    if level != "front_line":
        reason = "customer_request" if facts.wants_human else "triage"
    return Triage(
        level=level,
        department=department,
        reasons=tuple(reasons),
        escalation_reason=reason,
        auto_offer=automatic and capped is None,
        remedy=remedy,
        sla_due_at=policy.first_response_due(facts.received_at, facts.channel, facts.severity, facts.public,
                                             level, department),
    )


def _first_match(facts: CaseFacts, policy: Policy) -> TriageOutcome:
    for rule in policy.triage.rules:
        if _matches(rule.when, facts):
            return rule
    return policy.triage.default


def _matches(when: Match, facts: CaseFacts) -> bool:
    if when.category is not None and facts.category not in when.category:
        return False
    if when.severity is not None and facts.severity not in when.severity:
        return False
    if when.channel is not None and facts.channel not in when.channel:
        return False
    if when.public is not None and facts.public != when.public:
        return False
    if when.wants_human is not None and facts.wants_human != when.wants_human:
        return False
    if when.min_prior_complaints is not None and facts.prior_complaints < when.min_prior_complaints:
        return False
    if when.min_amount is not None:
        stake = facts.amount_at_stake
        threshold = when.min_amount.get(stake.currency) if stake is not None else None
        if stake is None or threshold is None or stake.amount < threshold:
            return False
    return True
