"""The pure projector: (case, event) -> (case, timeline entry). No I/O.

Events of one case travel on four topics, so they may arrive in any cross-topic order.
The case is therefore defined as the fold of its events in a canonical order,
`sort_key` = (episode, time, type rank, id): the writer applies an event
incrementally when it sorts after the last one applied, and refolds the case
from its timeline otherwise. Live projection and replay agree field for field.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from complaints.envelope import Envelope
from schemas.common import Channel
from schemas.events import ComplaintReceived, Escalated, Event, FollowedUp, RecoveryOffered
from services.projections.essentials import entry_for
from services.projections.model import (
    Case,
    EpisodeView,
    EscalationView,
    FollowUpView,
    OfferView,
    Outcome,
    Sla,
    SortKey,
    TimelineEntry,
    utc,
)

RANK: dict[str, int] = {"ComplaintReceived": 0, "Escalated": 1, "RecoveryOffered": 2, "FollowedUp": 3}

#: First response expected of the front line, per channel, for cases not (yet) escalated:
#: events carry an SLA deadline only from the escalation onwards (`Escalated.sla_due_at`).
FIRST_RESPONSE_SLA: dict[Channel, timedelta] = {
    "social": timedelta(hours=1),
    "chat": timedelta(minutes=15),
    "phone": timedelta(minutes=15),
    "in_person": timedelta(minutes=15),
    "web": timedelta(hours=4),
    "email": timedelta(hours=24),
}


def event_episode(event: Event) -> int:
    return 0 if isinstance(event, ComplaintReceived) else int(getattr(event, "episode", 1))


def sort_key(env: Envelope) -> SortKey:
    return (event_episode(env.event), utc(env.time), RANK[env.event.topic], env.id)


def partition_of(position: str) -> tuple[str, int]:
    """'topic:partition:offset' -> ('topic:partition', offset)."""
    head, _, offset = position.rpartition(":")
    return head, int(offset)


def project(case: Case | None, env: Envelope, position: str) -> tuple[Case, TimelineEntry]:
    """Apply one event to a case (None: a case not seen yet): the new case and the event's timeline entry."""
    return apply_event(case, env, position), entry_for(env, position, max(event_episode(env.event), 1))


def apply_event(case: Case | None, env: Envelope, position: str) -> Case:
    """The case after one more event. The input case is never changed."""
    at = utc(env.time)
    base = case or Case(complaint_id=env.complaint_id)
    d: dict[str, Any] = dict(base.__dict__)  # a draft: every handler writes here, one copy per event
    ev = env.event
    if isinstance(ev, ComplaintReceived):
        _received(d, ev)
    elif isinstance(ev, Escalated):
        _escalated(d, ev, at)
    elif isinstance(ev, RecoveryOffered):
        _offered(d, ev, at)
    elif isinstance(ev, FollowedUp):
        _followed_up(d, ev, at)
    else:  # pragma: no cover - the registry only yields the four types
        raise TypeError(f"no projection for {type(ev).__name__}")
    part, offset = partition_of(position)
    d["positions"] = {**d["positions"], part: max(offset, d["positions"].get(part, -1))}
    d["event_count"] += 1
    d["updated_at"] = max(at, d["updated_at"]) if d["updated_at"] else at
    d["last_key"] = sort_key(env)
    return base.model_copy(update=d)


def fold(items: Iterable[tuple[Envelope, str]]) -> tuple[Case | None, list[TimelineEntry]]:
    """A case from scratch: its (envelope, position) pairs in canonical order."""
    case: Case | None = None
    entries: list[TimelineEntry] = []
    for env, position in sorted(items, key=lambda item: sort_key(item[0])):
        case, entry = project(case, env, position)
        entries.append(entry)
    return case, entries


def effective_sla(case: Case, now: datetime) -> Sla:
    """The SLA as of `now`: an unanswered obligation past its due time is breached."""
    sla = case.sla
    if not sla.breached and sla.awaiting_response and sla.due_at is not None and sla.due_at < now:
        return sla.model_copy(update={"breached": True})
    return sla


def _set_episode(episodes: tuple[EpisodeView, ...], number: int, **changes: object) -> tuple[EpisodeView, ...]:
    for i, ep in enumerate(episodes):
        if ep.number == number:
            return (*episodes[:i], ep.model_copy(update=changes), *episodes[i + 1:])
    return (*episodes, EpisodeView(number=number).model_copy(update=changes))


def _enter_episode(d: dict[str, Any], number: int, at: datetime) -> None:
    """A higher episode number starts a new handling: a fresh, unanswered SLA."""
    if number > d["episode"]:
        d["episode"] = number
        d["episodes"] = _set_episode(d["episodes"], number, started_at=at)
        d["sla"] = Sla(awaiting_response=True)


def _received(d: dict[str, Any], ev: ComplaintReceived) -> None:
    received = utc(ev.received_at)
    d.update(channel=ev.channel, customer_ref=ev.customer_ref, category=ev.category, severity=ev.severity,
             public=ev.public, wants_human=ev.wants_human, order_ref=ev.order_ref, amount_at_stake=ev.amount_at_stake,
             occurred_at=utc(ev.occurred_at) if ev.occurred_at else None, received_at=received,
             prior_complaints=ev.prior_complaints)
    if d["event_count"] == 0:  # the normal case: the complaint opens its case
        d["sla"] = Sla(due_at=received + FIRST_RESPONSE_SLA[ev.channel], awaiting_response=True)
        d["episodes"] = _set_episode(d["episodes"], 1, started_at=received)


def _escalated(d: dict[str, Any], ev: Escalated, at: datetime) -> None:
    _enter_episode(d, ev.episode, at)
    due = utc(ev.sla_due_at)
    escalation = EscalationView(
        at=at, episode=ev.episode, level=ev.level, department=ev.department, from_level=ev.from_level,
        reason=ev.reason, reasons=ev.reasons, sla_due_at=due, requested_by=ev.requested_by,
        policy_version=ev.policy_version,
    )
    sla: Sla = d["sla"]
    d["sla"] = Sla(due_at=due, breached=sla.breached or ev.reason == "sla_breached", awaiting_response=True,
                   responded_at=sla.responded_at)
    d["status"] = "reopened" if ev.reason == "reopened" else "escalated"
    d["level"], d["department"] = ev.level, ev.department
    d["escalations"] = (*d["escalations"], escalation)


def _offered(d: dict[str, Any], ev: RecoveryOffered, at: datetime) -> None:
    _enter_episode(d, ev.episode, at)
    offers = tuple(
        o.model_copy(update={"superseded_by": ev.offer_id}) if ev.supersedes and o.offer_id == ev.supersedes else o
        for o in d["offers"]
    )
    offer = OfferView(
        offer_id=ev.offer_id, at=at, episode=ev.episode, level=ev.level, department=ev.department,
        remedies=ev.remedies, total=ev.total, apology=ev.apology, authority_limit=ev.authority_limit,
        offered_by=ev.offered_by, reasons=ev.reasons, follow_up_at=utc(ev.follow_up_at),
        respond_by=utc(ev.respond_by), supersedes=ev.supersedes, policy_version=ev.policy_version,
    )
    sla: Sla = d["sla"]
    if sla.awaiting_response:
        late = sla.due_at is not None and at > sla.due_at
        sla = Sla(due_at=sla.due_at, breached=sla.breached or late, awaiting_response=False, responded_at=at)
    current = next((e for e in d["episodes"] if e.number == ev.episode), None)
    if current is None or current.first_offer_at is None:
        d["episodes"] = _set_episode(d["episodes"], ev.episode, first_offer_at=at)
    if d["first_response_at"] is None:
        d["first_response_at"], d["first_response_sla_met"] = at, not sla.breached
    d["status"], d["offers"], d["sla"] = "recovery_offered", (*offers, offer), sla


def _followed_up(d: dict[str, Any], ev: FollowedUp, at: datetime) -> None:
    follow_up = FollowUpView(
        offer_id=ev.offer_id, at=at, episode=ev.episode, outcome=ev.outcome, satisfied=ev.satisfied,
        csat=ev.csat, has_comment=ev.comment is not None, recorded_by=ev.recorded_by,
        policy_version=ev.policy_version,
    )
    if not any(e.number == ev.episode and e.ended_at is not None for e in d["episodes"]):
        d["episodes"] = _set_episode(d["episodes"], ev.episode, ended_at=at, outcome=ev.outcome)
    d["follow_ups"] = (*d["follow_ups"], follow_up)
    d["outcome"] = Outcome(outcome=ev.outcome, satisfied=ev.satisfied, csat=ev.csat, episode=ev.episode, at=at)
    if ev.outcome == "unsatisfied":
        _enter_episode(d, ev.episode + 1, at)
        d["status"], d["reopen_count"] = "reopened", d["reopen_count"] + 1
    else:
        d["status"] = "closed"
        d["sla"] = d["sla"].model_copy(update={"awaiting_response": False})
