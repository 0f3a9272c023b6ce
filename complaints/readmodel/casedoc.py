"""The fold itself, on the case's JSON document: `advance(doc, envelope, position) -> doc`. Pure, no I/O.

A case document is exactly `Case.model_dump(mode="json")` (tests hold it to that), so the
writer reads it with a plain JSON parser, folds a batch's events into it and writes it
back, with no pydantic model built or copied per event; `Case.model_validate(doc)` is the
typed view of the same value. `advance` never changes its input: it works on a shallow
copy and replaces (never mutates) nested values, so a failed event leaves the case as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from pydantic_core import to_jsonable_python

from complaints.domain.policy import load_policy
from complaints.envelope import Envelope
from complaints.readmodel.model import Case, SortKey, utc
from complaints.settings import default_policy_file
from schemas.common import Channel, Money, Severity
from schemas.events import ComplaintReceived, Escalated, Event, FollowedUp, RecoveryOffered

Doc = dict[str, Any]
RANK: dict[str, int] = {"ComplaintReceived": 0, "Escalated": 1, "RecoveryOffered": 2, "FollowedUp": 3}

#: The first response the policy expects of a new case (channel, severity, public) -> time allowed.
#: Events carry an SLA deadline only from an escalation onwards (`Escalated.sla_due_at`), so a case
#: the front line owns takes its deadline from the same policy the escalation service applies.
FirstResponse = Callable[[Channel, Severity, bool], timedelta]


@cache
def policy_first_response(policy_file: Path | None = None) -> FirstResponse:
    """The policy's first-response SLA (`Policy.first_response_sla`); the default policy when None."""
    return load_policy(policy_file or default_policy_file()).first_response_sla

_BLANK: Doc = Case(complaint_id="").model_dump(mode="json")


def event_episode(event: Event) -> int:
    return 0 if isinstance(event, ComplaintReceived) else int(getattr(event, "episode", 1))


def sort_key(env: Envelope) -> SortKey:
    return (event_episode(env.event), utc(env.time), RANK[env.event.topic], env.id)


def jt(dt: datetime) -> str:
    """A time as the case document holds it (pydantic's JSON form of the UTC time)."""
    return str(to_jsonable_python(utc(dt)))


def last_key(doc: Doc) -> SortKey | None:
    """The sort key of the last event folded into the case."""
    key = doc.get("last_key")
    return None if key is None else (int(key[0]), utc(datetime.fromisoformat(key[1])), int(key[2]), str(key[3]))


def advance(doc: Doc | None, env: Envelope, position: str, first_response: FirstResponse | None = None) -> Doc:
    """The case document after one more event (None: a case not seen yet).

    `first_response` gives a new case's SLA deadline (default: the default policy's)."""
    at = utc(env.time)
    when = jt(at)
    d = dict(doc) if doc is not None else {**_BLANK, "complaint_id": env.complaint_id}
    ev = env.event
    if isinstance(ev, ComplaintReceived):
        _received(d, ev, first_response or policy_first_response())
    elif isinstance(ev, Escalated):
        _escalated(d, ev, at, when)
    elif isinstance(ev, RecoveryOffered):
        _offered(d, ev, at, when)
    elif isinstance(ev, FollowedUp):
        _followed_up(d, ev, when)
    else:  # pragma: no cover - the registry only yields the four types
        raise TypeError(f"no projection for {type(ev).__name__}")
    part, _, offset = position.rpartition(":")
    positions = d["positions"]
    d["positions"] = {**positions, part: max(int(offset), positions.get(part, -1))}
    d["event_count"] += 1
    updated = d["updated_at"]
    if updated is None or at > utc(datetime.fromisoformat(updated)):
        d["updated_at"] = when
    d["last_key"] = [event_episode(ev), when, RANK[ev.topic], env.id]
    return d


def money(m: Money | None) -> Doc | None:
    """`Money` as its JSON (the contract's own serializer: a plain decimal string)."""
    return None if m is None else {"amount": format(m.amount, "f"), "currency": m.currency}


def _sla(due_at: str | None = None, breached: bool = False, awaiting: bool = False,
         responded_at: str | None = None) -> Doc:
    return {"due_at": due_at, "breached": breached, "awaiting_response": awaiting, "responded_at": responded_at}


def _set_episode(episodes: list[Doc], number: int, **changes: object) -> list[Doc]:
    for i, ep in enumerate(episodes):
        if ep["number"] == number:
            return [*episodes[:i], {**ep, **changes}, *episodes[i + 1:]]
    blank = {"number": number, "started_at": None, "first_offer_at": None, "ended_at": None, "outcome": None}
    return [*episodes, {**blank, **changes}]


def _enter_episode(d: Doc, number: int, when: str) -> None:
    """A higher episode number starts a new handling: a fresh, unanswered SLA."""
    if number > d["episode"]:
        d["episode"] = number
        d["episodes"] = _set_episode(d["episodes"], number, started_at=when)
        d["sla"] = _sla(awaiting=True)


def _received(d: Doc, ev: ComplaintReceived, first_response: FirstResponse) -> None:
    received = utc(ev.received_at)
    d.update(channel=ev.channel, customer_ref=ev.customer_ref, category=ev.category, severity=ev.severity,
             public=ev.public, wants_human=ev.wants_human, order_ref=ev.order_ref,
             amount_at_stake=money(ev.amount_at_stake),
             occurred_at=jt(ev.occurred_at) if ev.occurred_at else None, received_at=jt(received),
             prior_complaints=ev.prior_complaints)
    if d["event_count"] == 0:  # the normal case: the complaint opens its case
        due = received + first_response(ev.channel, ev.severity, ev.public)
        d["sla"] = _sla(due_at=jt(due), awaiting=True)
        d["episodes"] = _set_episode(d["episodes"], 1, started_at=jt(received))


def _escalated(d: Doc, ev: Escalated, at: datetime, when: str) -> None:
    _enter_episode(d, ev.episode, when)
    due = jt(ev.sla_due_at)
    escalation = {"at": when, "episode": ev.episode, "level": ev.level, "department": ev.department,
                  "from_level": ev.from_level, "reason": ev.reason, "reasons": list(ev.reasons), "sla_due_at": due,
                  "requested_by": ev.requested_by, "policy_version": ev.policy_version}
    sla = d["sla"]
    d["sla"] = _sla(due, sla["breached"] or ev.reason == "sla_breached", True, sla["responded_at"])
    d["status"] = "reopened" if ev.reason == "reopened" else "escalated"
    d["level"], d["department"] = ev.level, ev.department
    d["escalations"] = [*d["escalations"], escalation]


def _offered(d: Doc, ev: RecoveryOffered, at: datetime, when: str) -> None:
    _enter_episode(d, ev.episode, when)
    offers = [{**o, "superseded_by": ev.offer_id} if ev.supersedes and o["offer_id"] == ev.supersedes else o
              for o in d["offers"]]
    remedies = [{"type": r.type, "amount": money(r.amount), "description": r.description} for r in ev.remedies]
    offer = {"offer_id": ev.offer_id, "at": when, "episode": ev.episode, "level": ev.level,
             "department": ev.department, "remedies": remedies, "total": money(ev.total), "apology": ev.apology,
             "authority_limit": money(ev.authority_limit), "offered_by": ev.offered_by,
             "reasons": list(ev.reasons), "follow_up_at": jt(ev.follow_up_at), "respond_by": jt(ev.respond_by),
             "supersedes": ev.supersedes, "superseded_by": None, "policy_version": ev.policy_version}
    sla = d["sla"]
    if sla["awaiting_response"]:
        late = sla["due_at"] is not None and at > utc(datetime.fromisoformat(sla["due_at"]))
        sla = _sla(sla["due_at"], sla["breached"] or late, False, when)
    current = next((e for e in d["episodes"] if e["number"] == ev.episode), None)
    if current is None or current["first_offer_at"] is None:
        d["episodes"] = _set_episode(d["episodes"], ev.episode, first_offer_at=when)
    if d["first_response_at"] is None:
        d["first_response_at"], d["first_response_sla_met"] = when, not sla["breached"]
    d["status"], d["offers"], d["sla"] = "recovery_offered", [*offers, offer], sla


def _followed_up(d: Doc, ev: FollowedUp, when: str) -> None:
    follow_up = {"offer_id": ev.offer_id, "at": when, "episode": ev.episode, "outcome": ev.outcome,
                 "satisfied": ev.satisfied, "csat": ev.csat, "has_comment": ev.comment is not None,
                 "recorded_by": ev.recorded_by, "policy_version": ev.policy_version}
    if not any(e["number"] == ev.episode and e["ended_at"] is not None for e in d["episodes"]):
        d["episodes"] = _set_episode(d["episodes"], ev.episode, ended_at=when, outcome=ev.outcome)
    d["follow_ups"] = [*d["follow_ups"], follow_up]
    d["outcome"] = {"outcome": ev.outcome, "satisfied": ev.satisfied, "csat": ev.csat, "episode": ev.episode,
                    "at": when}
    if ev.outcome == "unsatisfied":
        _enter_episode(d, ev.episode + 1, when)
        d["status"], d["reopen_count"] = "reopened", d["reopen_count"] + 1
    else:
        d["status"] = "closed"
        d["sla"] = {**d["sla"], "awaiting_response": False}
