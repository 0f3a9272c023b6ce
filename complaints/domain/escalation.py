"""Escalation decisions: triage on intake, SLA breaches, reopens and manual requests → `Escalated`.

Wiring contract: for each consumed event call `on_event(state, event, event_id, policy, now)`,
produce the returned emits, then fold the event *and* each emit into the state with `evolve`
(produce before saving state, so a crash replays the input and re-produces the same ids).
"""

from __future__ import annotations

from datetime import datetime

from complaints.domain import step
from complaints.domain.case import CaseFacts, CaseState, open_case
from complaints.domain.durations import format_duration
from complaints.domain.emit import Emit
from complaints.domain.errors import InvalidEscalation
from complaints.domain.levels import level_above, rank
from complaints.domain.lifecycle import overdue
from complaints.domain.policy import Policy
from complaints.domain.remedy import FairRemedy, fair_remedy
from complaints.domain.triage import triage
from complaints.domain.wording import LEVEL_LABELS, when, words
from complaints.ids import deterministic_id
from schemas.common import LEVELS, Department, EscalationReason, Level
from schemas.events import ComplaintReceived, Escalated, Event, FollowedUp


def on_event(state: CaseState | None, event: Event, event_id: str, policy: Policy, now: datetime) -> list[Emit]:
    """What escalation emits in answer to one consumed event (nothing if `event_id` was applied)."""
    return list(step.consume(state, event, event_id, now, lambda after, ev: react(after, ev, policy, now), now).emits)


def react(after: CaseState, event: Event, policy: Policy, now: datetime) -> list[Emit]:
    """`on_event` for a shell that has already folded `event` into the state (it folds once, not twice)."""
    if after.closed or after.facts is None:
        return []
    emits: list[Emit] = []
    if isinstance(event, ComplaintReceived):
        emits += _triage_escalation(after, policy)
    if isinstance(event, ComplaintReceived | FollowedUp):
        emits += _reopen_escalation(after, policy, now)
    return emits


def on_tick(state: CaseState, policy: Policy, now: datetime) -> list[Emit]:
    """The first-response SLA passed without an offer at this level: one level up (never past executive)."""
    due = next_due(state, policy)
    to = level_above(state.level)
    if due is None or to is None or not overdue(due, now) or state.facts is None:
        return []
    facts = state.facts
    sla = policy.first_response_sla(facts.channel, facts.severity, facts.public)
    reasons = (
        f"No first response from {LEVEL_LABELS[state.level]} by {when(due)}: the {format_duration(sla)} "
        f"first-response SLA for a {facts.severity} {words(facts.channel)} complaint was breached.",
        f"Moved up one level to {LEVEL_LABELS[to]}.",
    )
    event_id = deterministic_id("Escalated", state.complaint_id, state.episode, state.level, "sla_breached")
    department = _department(state.department, to, facts, policy)
    due_next = policy.first_response_due(due, facts.channel, facts.severity, facts.public, to, department)
    event = _escalated(state, to, "sla_breached", reasons, due_next, policy)
    return [Emit(event, event_id, _cause(state), at=due)]  # the breach happened at the deadline


def manual(
    state: CaseState | None,
    *,
    agent: str,
    reason_text: str,
    target_level: Level | None,
    policy: Policy,
    now: datetime,
    request_id: str,
) -> list[Emit]:
    """An agent moves the case up, to `target_level` or one level up; refuses anything else."""
    state, facts = open_case(state, "it cannot be escalated")
    if not agent.strip() or not reason_text.strip():
        raise InvalidEscalation("A manual escalation needs the agent's id and a reason.")
    if target_level is None:
        target_level = level_above(state.level)
        if target_level is None:
            raise InvalidEscalation("The case is already at the executive level; there is no one above.")
    elif target_level not in LEVELS:
        raise InvalidEscalation(f"Unknown level {target_level!r}; levels are {', '.join(LEVELS)}.")
    elif rank(target_level) <= rank(state.level):
        above = ", ".join(LEVELS[rank(state.level) + 1 :]) or "none"
        raise InvalidEscalation(
            f"The case is already at {state.level}; it can only go up (to: {above}), not to {target_level}."
        )
    reasons = (f"Escalated by {agent}: {reason_text.strip()}", f"Moved up to {LEVEL_LABELS[target_level]}.")
    department = _department(state.department, target_level, facts, policy)
    due = policy.first_response_due(now, facts.channel, facts.severity, facts.public, target_level, department)
    event = _escalated(state, target_level, "manual", reasons, due, policy, requested_by=agent)
    event_id = deterministic_id("Escalated", state.complaint_id, "manual", request_id)
    return [Emit(event, event_id, request_id)]


def next_due(state: CaseState, policy: Policy) -> datetime | None:
    """When the pending first response is due (index this for the timer); None when nothing is pending."""
    if state.facts is None or state.closed or state.level == "executive":
        return None
    life = state.derived(policy.first_response_sla)
    return None if life.responded_at is not None else life.due_at  # None: a reopen not escalated yet


def _triage_escalation(state: CaseState, policy: Policy) -> list[Emit]:
    assert state.facts is not None and state.received_id is not None
    decided = triage(state.facts, policy)
    event_id = deterministic_id("Escalated", state.received_id)
    if decided.escalation_reason is None or state.episode != 1 or event_id in state.applied:
        return []
    if rank(state.level) >= rank(decided.level):
        return []  # already there (an earlier path moved it)
    event = Escalated(
        complaint_id=state.complaint_id,
        level=decided.level,
        department=decided.department,
        from_level="front_line",
        reason=decided.escalation_reason,
        reasons=decided.reasons,
        sla_due_at=decided.sla_due_at,
        episode=1,
        policy_version=policy.policy_id,
    )
    return [Emit(event, event_id, state.received_id, at=state.facts.received_at)]


def _reopen_escalation(state: CaseState, policy: Policy, now: datetime) -> list[Emit]:
    """The customer was not satisfied: a new episode, one level up (higher if the fair remedy needs it)."""
    facts = state.facts
    episode = state.episode  # the unsatisfied follow-up started it
    unhappy = [f for f in state.followups if f.outcome == "unsatisfied" and f.episode == episode - 1]
    if facts is None or not unhappy or any(e.episode == episode for e in state.escalations):
        return []
    cause = unhappy[-1]
    event_id = deterministic_id("Escalated", cause.event_id)
    if event_id in state.applied:
        return []
    up, to = reopen_levels(state.level, facts, episode, policy)
    reasons = [f"The customer was not satisfied with the recovery offer: the case is reopened (episode {episode})."]
    if up == state.level:
        reasons.append("The case is already at the executive level: it stays there.")
    else:
        reasons.append(f"Moved up one level to {LEVEL_LABELS[up]}.")
    if to != up:
        reasons.append(f"The fair remedy for a reopened case needs the authority of {LEVEL_LABELS[to]}.")
    at = cause.at or now  # when the customer said so, whichever of the case's events came last
    department = _department(state.department, to, facts, policy)
    due = policy.first_response_due(at, facts.channel, facts.severity, facts.public, to, department)
    event = _escalated(state, to, "reopened", tuple(reasons), due, policy, episode=episode)
    return [Emit(event, event_id, cause.event_id, at=at)]


def reopen_levels(level: Level, facts: CaseFacts, episode: int, policy: Policy,
                  remedy: FairRemedy | None = None) -> tuple[Level, Level]:
    """A reopened case goes one level up from `level` (`up`), higher if its fair remedy needs it (`to`).

    `remedy`: the episode's `fair_remedy`, when the caller has it already (the what-if)."""
    up = level_above(level) or "executive"
    remedy = fair_remedy(facts, episode, policy) if remedy is None else remedy
    return up, policy.covering_level(remedy.total, up) or "executive"


def department_at(current: Department | None, to: Level, facts: CaseFacts | None, policy: Policy,
                  ) -> Department | None:
    """The department a case has at `to`: the one it has, else the category's from the department level on."""
    return _department(current, to, facts, policy)


def _escalated(
    state: CaseState,
    to: Level,
    reason: EscalationReason,
    reasons: tuple[str, ...],
    due: datetime,
    policy: Policy,
    *,
    requested_by: str | None = None,
    episode: int | None = None,
) -> Escalated:
    return Escalated(
        complaint_id=state.complaint_id,
        level=to,
        department=_department(state.department, to, state.facts, policy),
        from_level=state.level,
        reason=reason,
        reasons=reasons,
        sla_due_at=due,
        episode=episode or state.episode,
        policy_version=policy.policy_id,
        requested_by=requested_by,
    )


def _department(current: Department | None, to: Level, facts: CaseFacts | None, policy: Policy) -> Department | None:
    if current is not None or facts is None or rank(to) < rank("department"):
        return current
    return policy.department_for(facts.category)


def _cause(state: CaseState) -> str | None:
    current = state.current_escalation
    return current.event_id if current is not None else state.received_id
