"""The fold itself, on the case's JSON document: `advance(doc, envelope, position) -> doc`. Pure, no I/O.

A case document is exactly `Case.model_dump(mode="json")` (tests hold it to that), so the
writer reads it with a plain JSON parser, folds a batch's events into it and writes it
back, with no pydantic model built or copied per event; `Case.model_validate(doc)` is the
typed view of the same value. `advance` never changes its input: it works on a shallow
copy and replaces (never mutates) nested values, so a failed event leaves the case as it was.

The document records each event's facts; what they mean — status, episode, level,
department, the SLA's due time and breach — is `complaints.domain.lifecycle.derive`, the
same function the workers' state uses, applied after every event.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic_core import to_jsonable_python

from complaints.domain import lifecycle
from complaints.domain.lifecycle import (
    AnswerFact,
    ClosureFact,
    EscalationFact,
    FirstResponse,
    FollowUpFact,
    OfferFact,
    ReopenFact,
    ReplyFact,
)
from complaints.domain.policy import cached_policy
from complaints.domain.policy_calendar import clock_of
from complaints.envelope import Envelope
from complaints.readmodel.model import Case, SortKey, utc
from complaints.readmodel.order import RANK, event_episode, type_name
from complaints.settings import default_policy_file
from schemas.common import Money
from schemas.events import (
    CaseAssigned,
    CaseClosed,
    CaseReopened,
    CaseWork,
    ComplaintReceived,
    CustomerReplied,
    Escalated,
    FollowedUp,
    NoteAdded,
    OfferAccepted,
    OfferDeclined,
    OfferFulfilled,
    RecoveryOffered,
)
from schemas.sla import ResolutionTarget

__all__ = ["Doc", "FirstResponse", "advance", "jt", "last_key", "money", "policy_first_response"]

Doc = dict[str, Any]


def policy_first_response(policy_file: Path | None = None) -> FirstResponse:
    """The policy's first-response SLA (`Policy.first_response_sla`); the default policy when None.

    Events carry an SLA deadline only from an escalation onwards, so a case the front line owns
    takes its deadline from the policy the escalation service applies (`lifecycle.first_response_due`)."""
    return cached_policy(policy_file or default_policy_file()).first_response_sla


_BLANK: Doc = Case(complaint_id="").model_dump(mode="json")


def jt(dt: datetime) -> str:
    """A time as the case document holds it (pydantic's JSON form of the UTC time)."""
    return str(to_jsonable_python(utc(dt)))


#: The document's times, parsed (each event of a case reads its earlier events' times again).
_PARSED: dict[str, datetime] = {}
_TEXT: dict[datetime, str] = {}


def _time(value: str) -> datetime:
    moment = _PARSED.get(value)
    if moment is None:
        if len(_PARSED) > 50_000:
            _PARSED.clear()
            _TEXT.clear()
        moment = _PARSED[value] = utc(datetime.fromisoformat(value))
        _TEXT[moment] = value
    return moment


def _text(moment: datetime | None) -> str | None:
    """`jt`, for a time read from the document by `_time`: its own text."""
    return None if moment is None else _TEXT.get(moment) or jt(moment)


def last_key(doc: Doc) -> SortKey | None:
    """The sort key of the last event folded into the case."""
    key = doc.get("last_key")
    return None if key is None else (int(key[0]), _time(key[1]), int(key[2]), str(key[3]))


def advance(doc: Doc | None, env: Envelope, position: str, first_response: FirstResponse | None = None) -> Doc:
    """The case document after one more event (None: a case not seen yet).

    `first_response` gives a new case's SLA deadline (default: the default policy's)."""
    at = utc(env.time)
    when = jt(at)
    d = dict(doc) if doc is not None else {**_BLANK, "complaint_id": env.complaint_id}
    ev = env.event
    if isinstance(ev, ComplaintReceived):
        _received(d, ev)
    elif isinstance(ev, Escalated):
        _escalated(d, ev, when)
    elif isinstance(ev, RecoveryOffered):
        _offered(d, ev, when)
    elif isinstance(ev, FollowedUp):
        _followed_up(d, ev, when)
    elif isinstance(ev, CaseWork):
        _case_work(d, ev, env.id)
    elif isinstance(ev, OfferAccepted | OfferDeclined | OfferFulfilled):
        _answered(d, ev, when)
    else:  # pragma: no cover - the registry only yields the four types
        raise TypeError(f"no projection for {type(ev).__name__}")
    _derive(d, when, first_response or policy_first_response(), isinstance(ev, Escalated))
    if isinstance(ev, RecoveryOffered | CustomerReplied) and d["first_response_at"] is None:
        d["first_response_at"] = jt(ev.at) if isinstance(ev, CustomerReplied) else when
        d["first_response_sla_met"] = not d["sla"]["breached"]
    part, _, offset = position.rpartition(":")
    positions = d["positions"]
    d["positions"] = {**positions, part: max(int(offset), positions.get(part, -1))}
    d["event_count"] += 1
    updated = d["updated_at"]
    if updated is None or at > _time(updated):
        d["updated_at"] = when
    d["last_key"] = [event_episode(ev), when, RANK[type_name(ev)], env.id]
    return d


def money(m: Money | None) -> Doc | None:
    """`Money` as its JSON (the contract's own serializer: a plain decimal string)."""
    return None if m is None else {"amount": format(m.amount, "f"), "currency": m.currency}


def _derive(d: Doc, when: str, first_response: FirstResponse, escalation: bool = False) -> None:
    """Status, episode, level, department and SLA from the recorded facts (`lifecycle.derive`)."""
    escalations, offers = d["escalations"], d["offers"]
    front_line = None
    recorded = d.get("first_response_due_at")
    if recorded is not None and not escalations:  # the due time intake recorded: a fact, never recomputed
        front_line = _time(recorded)
    elif d["received_at"] is not None and not escalations:  # a v1 record: the policy in hand
        front_line = lifecycle.first_response_due(_time(d["received_at"]), d["channel"], d["severity"],
                                                  d["public"], first_response)
    parsed, new = _PARSED.get, tuple.__new__  # the hot path: no call of the facts' generated __new__
    offer_facts = [new(OfferFact, (o["offer_id"], o["episode"], o["level"], parsed(o["at"]) or _time(o["at"]),
                                   o["supersedes"])) for o in offers]
    life = lifecycle.derive(
        [new(EscalationFact, (e["episode"], e["level"], e["department"], e["reason"],
                              parsed(e["sla_due_at"]) or _time(e["sla_due_at"]), parsed(e["at"]) or _time(e["at"])))
         for e in escalations],
        offer_facts,
        [new(FollowUpFact, (f["offer_id"], f["episode"], f["outcome"])) for f in d["follow_ups"]],
        front_line,
        replies=[ReplyFact(r["episode"], r["level"], _time(r["at"])) for r in d.get("replies", ())],
        closures=[ClosureFact(c["episode"], c["reason"], c["duplicate_of"], c["by"], _time(c["at"]))
                  for c in d.get("closures", ())],
        reopens=[ReopenFact(r["episode"], _time(r["first_response_due_at"]), _time(r["at"]))
                 for r in d.get("reopens", ())])
    if life.episode > d["episode"] and not any(e["number"] == life.episode for e in d["episodes"]):
        d["episodes"] = _set_episode(d["episodes"], life.episode, started_at=when)
    closure = life.closure
    d["closure"] = None if closure is None else {"reason": closure.reason, "duplicate_of": closure.duplicate_of,
                                                 "by": closure.by, "at": _text(closure.at), "episode": closure.episode}
    d.update(status=life.status, episode=life.episode, level=life.level, department=life.department,
             sla={"due_at": _text(life.due_at), "breached": life.breached(None),
                  "awaiting_response": not life.closed and life.responded_at is None,
                  "responded_at": _text(life.responded_at), **_resolution(d, offer_facts, escalation)})


Clock = tuple[timedelta, bool, lifecycle.AddTime, lifecycle.TimeBetween]
#: Resolution targets as the documents hold them (JSON), validated once each, with their calendar's arithmetic;
#: and the last one seen (the same JSON object for every event of a case's fold: held, so compared by identity).
_TARGETS: dict[str, Clock] = {}
_LAST: list[Any] = [None, None]
_NO_RESOLUTION: Doc = {"resolution_due": None, "resolution_breached": False, "resolution_paused": False}


def _target(recorded: Doc) -> Clock:
    if recorded is _LAST[0]:
        return _LAST[1]  # type: ignore[no-any-return]
    text = json.dumps(recorded, sort_keys=True)
    clock = _TARGETS.get(text)
    if clock is None:
        if len(_TARGETS) > 1000:
            _TARGETS.clear()
        target = ResolutionTarget.model_validate(recorded)
        clock = _TARGETS[text] = (target.allowed, target.pause_while_awaiting_customer, *clock_of(target.calendar))
    _LAST[:] = [recorded, clock]
    return clock


def _resolution(d: Doc, offers: list[OfferFact], escalation: bool) -> Doc:
    """The resolution SLA's part of `sla` (`lifecycle.resolution_clock`, on the target intake recorded).

    An escalation changes none of its inputs (arrival, target, offers, answers): the previous value stands."""
    recorded, received = d.get("resolution_target"), d["received_at"]
    if recorded is None or received is None:
        return _NO_RESOLUTION
    before = d["sla"]
    if escalation and "resolution_due" in before:
        return {k: before[k] for k in _NO_RESOLUTION}
    allowed, pause, add, between = _target(recorded)
    answers = [tuple.__new__(AnswerFact, (f["offer_id"], f["outcome"], _time(f["at"]))) for f in d["follow_ups"]]
    clock = lifecycle.resolution_clock(_time(received), allowed, pause, add, between, offers, answers)
    return {"resolution_due": _text(clock.due_at), "resolution_breached": clock.breached,
            "resolution_paused": clock.paused}


def _set_episode(episodes: list[Doc], number: int, **changes: object) -> list[Doc]:
    for i, ep in enumerate(episodes):
        if ep["number"] == number:
            return [*episodes[:i], {**ep, **changes}, *episodes[i + 1:]]
    blank = {"number": number, "started_at": None, "first_offer_at": None, "ended_at": None, "outcome": None}
    return [*episodes, {**blank, **changes}]


def _received(d: Doc, ev: ComplaintReceived) -> None:
    received = jt(ev.received_at)
    d.update(channel=ev.channel, customer_ref=ev.customer_ref, category=ev.category, severity=ev.severity,
             public=ev.public, wants_human=ev.wants_human, order_ref=ev.order_ref,
             amount_at_stake=money(ev.amount_at_stake),
             occurred_at=jt(ev.occurred_at) if ev.occurred_at else None, received_at=received,
             prior_complaints=ev.prior_complaints, policy_version=ev.policy_version, reasons=list(ev.reasons),
             first_response_due_at=jt(ev.first_response_due_at) if ev.first_response_due_at else None,
             resolution_target=to_jsonable_python(ev.resolution_target) if ev.resolution_target else None)
    if d["event_count"] == 0:  # the normal case: the complaint opens its case
        d["episodes"] = _set_episode(d["episodes"], 1, started_at=received)


def _escalated(d: Doc, ev: Escalated, when: str) -> None:
    escalation = {"at": when, "episode": ev.episode, "level": ev.level, "department": ev.department,
                  "from_level": ev.from_level, "reason": ev.reason, "reasons": list(ev.reasons),
                  "sla_due_at": jt(ev.sla_due_at), "requested_by": ev.requested_by,
                  "policy_version": ev.policy_version}
    d["escalations"] = [*d["escalations"], escalation]


def _offered(d: Doc, ev: RecoveryOffered, when: str) -> None:
    offers = [{**o, "superseded_by": ev.offer_id} if ev.supersedes and o["offer_id"] == ev.supersedes else o
              for o in d["offers"]]
    remedies = [{"type": r.type, "amount": money(r.amount), "description": r.description} for r in ev.remedies]
    offer = {"offer_id": ev.offer_id, "at": when, "episode": ev.episode, "level": ev.level,
             "department": ev.department, "remedies": remedies, "total": money(ev.total), "apology": ev.apology,
             "authority_limit": money(ev.authority_limit), "offered_by": ev.offered_by,
             "reasons": list(ev.reasons), "follow_up_at": jt(ev.follow_up_at), "respond_by": jt(ev.respond_by),
             "supersedes": ev.supersedes, "superseded_by": None, "policy_version": ev.policy_version,
             "accepted_at": None, "declined_at": None, "fulfilled": None}
    current = next((e for e in d["episodes"] if e["number"] == ev.episode), None)
    if current is None or current["first_offer_at"] is None:
        d["episodes"] = _set_episode(d["episodes"], ev.episode, first_offer_at=when)
    d["offers"] = [*offers, offer]


def _followed_up(d: Doc, ev: FollowedUp, when: str) -> None:
    follow_up = {"offer_id": ev.offer_id, "at": when, "episode": ev.episode, "outcome": ev.outcome,
                 "satisfied": ev.satisfied, "csat": ev.csat, "has_comment": ev.comment is not None,
                 "recorded_by": ev.recorded_by, "policy_version": ev.policy_version, "reasons": list(ev.reasons)}
    if not any(e["number"] == ev.episode and e["ended_at"] is not None for e in d["episodes"]):
        d["episodes"] = _set_episode(d["episodes"], ev.episode, ended_at=when, outcome=ev.outcome)
    d["follow_ups"] = [*d["follow_ups"], follow_up]
    d["outcome"] = {"outcome": ev.outcome, "satisfied": ev.satisfied, "csat": ev.csat, "episode": ev.episode,
                    "at": when}
    if ev.outcome == "unsatisfied":
        d["reopen_count"] += 1


def _case_work(d: Doc, ev: CaseWork, event_id: str) -> None:
    """Staff case work: the facts, never the sealed text (times: the event's own `at`, the request's)."""
    at = jt(ev.at)
    if isinstance(ev, CaseAssigned):
        assignments = [*d.get("assignments", ()), [at, event_id, ev.assignee]]
        d["assignments"] = assignments
        d["assignee"] = lifecycle.assignee_of((_time(a[0]), a[1], a[2]) for a in assignments)
    elif isinstance(ev, CustomerReplied):
        d["replies"] = [*d.get("replies", ()), {"at": at, "episode": ev.episode, "level": ev.level,
                                                "by": ev.replied_by}]
    elif isinstance(ev, NoteAdded):
        d["notes"] = [*d.get("notes", ()), {"at": at, "episode": ev.episode, "by": ev.added_by}]
    elif isinstance(ev, CaseClosed):
        d["closures"] = [*d.get("closures", ()), {"reason": ev.reason, "duplicate_of": ev.duplicate_of,
                                                  "by": ev.closed_by, "at": at, "episode": ev.episode}]
        if not any(e["number"] == ev.episode and e["ended_at"] is not None for e in d["episodes"]):
            d["episodes"] = _set_episode(d["episodes"], ev.episode, ended_at=at)
    elif isinstance(ev, CaseReopened):
        d["reopens"] = [*d.get("reopens", ()), {"at": at, "episode": ev.episode, "level": ev.level,
                                                "reason": ev.reason, "by": ev.reopened_by,
                                                "first_response_due_at": jt(ev.first_response_due_at)}]
        d["episodes"] = _set_episode(d["episodes"], ev.episode, started_at=at)


def _answered(d: Doc, ev: OfferAccepted | OfferDeclined | OfferFulfilled, when: str) -> None:
    """The customer's answer to an offer, or its fulfilment, recorded on the offer (none yet: nothing to record)."""
    if isinstance(ev, OfferFulfilled):
        change: Doc = {"fulfilled": {"at": when, "amount": money(ev.amount), "fulfilled_by": ev.fulfilled_by}}
    else:
        change = {"accepted_at" if isinstance(ev, OfferAccepted) else "declined_at": when}
    d["offers"] = [{**o, **change} if o["offer_id"] == ev.offer_id else o for o in d["offers"]]
