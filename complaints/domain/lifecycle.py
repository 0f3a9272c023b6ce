"""The lifecycle of a case, defined once: status, episode, level, department, due time, breached.

Both folds of a case call these functions: the workers' state (`case.evolve`, on pydantic
views) and the read model's fold (on the case's JSON document). They take plain values —
the facts each event recorded, in any order — so the same set of events gives the same
answer whatever order the events arrived in, and whichever fold asks.

The rules:

- **episode**: 1, or the highest episode any escalation, offer or follow-up names; an
  `unsatisfied` follow-up starts the next episode at once (the reopen escalation that follows
  joins it).
- **level**: the level of the highest escalation (by episode, then rank); `front_line` before any.
- **department**: the department of the latest escalation (same order) that names one.
- **outcome**: `satisfied` if any follow-up says so, else `no_response` if any says that, else
  none (the case is open). A case with an outcome is closed.
- **open offer**: the latest offer (by episode, rank, time, id) neither answered by a follow-up
  nor superseded by another offer. It **awaits an answer** when it is of the current episode and
  at the current level or above (a case moved above its offer expects a new one).
- **status**, one rule for every case: `closed` with an outcome; else `recovery_offered` while an
  offer awaits an answer; else `reopened` in any episode after the first; else `escalated` above
  the front line; else `received`.

  So an escalation inside a reopened episode — `sla_breached` or `manual` as much as `reopened` —
  leaves the case `reopened` until the next offer. Status names the stage of the case (new,
  escalated, offered, back after an unhappy answer, closed), not the type of its last event: the
  escalation shows in `level`, a breach in `breached`. This keeps the documented promise that a
  reopened case "stays `reopened` until the next offer", and a queue filtered on `reopened` keeps
  the reopened cases nobody answered in time — the most urgent ones — instead of losing them the
  moment the SLA timer moves them up.
- **due time** of the first response: the current escalation's `sla_due_at` (the highest one of
  this episode); before any escalation, in episode 1, `received_at` + the policy's first-response
  SLA for the channel, severity and publicity (`first_response_due`); otherwise (a reopen whose
  escalation is not in yet) none.
- **responded at**: the first offer of this episode at the current level or above.
- **breached**: an `sla_breached` escalation in this episode, or the due time came while no
  response was in: `(responded_at or now) >= due`. The boundary is the escalation decision's:
  a response due at 10:00 is late at 10:00, and the SLA timer escalates at `now >= due`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Literal, NamedTuple

from complaints.domain.decisions import rank
from schemas.common import Channel, Department, EscalationReason, FollowUpOutcome, Level, Severity

Status = Literal["received", "escalated", "recovery_offered", "closed", "reopened"]
STATUSES: tuple[Status, ...] = ("received", "escalated", "recovery_offered", "closed", "reopened")

#: The policy's first-response SLA of a new case: (channel, severity, public) -> time allowed
#: (`Policy.first_response_sla`).
FirstResponse = Callable[[Channel, Severity, bool], timedelta]


class EscalationFact(NamedTuple):
    """What an `Escalated` event says about the lifecycle."""

    episode: int
    level: Level
    department: Department | None
    reason: EscalationReason
    sla_due_at: datetime


class OfferFact(NamedTuple):
    """What a `RecoveryOffered` event says about the lifecycle (`at`: the event's time)."""

    offer_id: str
    episode: int
    level: Level
    at: datetime
    supersedes: str | None


class FollowUpFact(NamedTuple):
    """What a `FollowedUp` event says about the lifecycle."""

    offer_id: str
    episode: int
    outcome: FollowUpOutcome


class Lifecycle(NamedTuple):
    """Everything `derive` concludes from a case's facts."""

    status: Status
    episode: int
    level: Level
    department: Department | None
    outcome: FollowUpOutcome | None  # None while the case is open
    open_offer: OfferFact | None  # unanswered and not superseded (None once closed)
    due_at: datetime | None  # first response due (front-line due only when one was given)
    responded_at: datetime | None
    sla_breached: bool  # an `sla_breached` escalation in this episode

    @property
    def closed(self) -> bool:
        return self.outcome is not None

    @property
    def offer_awaiting_answer(self) -> OfferFact | None:
        offer = self.open_offer
        return offer if offer is not None and awaits_answer(offer, self.episode, self.level) else None


def first_response_due(received_at: datetime, channel: Channel, severity: Severity, public: bool,
                   first_response: FirstResponse) -> datetime:
    """When a new case's first response is due at the front line (the one place this is computed)."""
    return received_at + first_response(channel, severity, public)


def episode_of(escalations: Iterable[EscalationFact], offers: Iterable[OfferFact],
               followups: Iterable[FollowUpFact]) -> int:
    number = 1
    for e in escalations:
        number = max(number, e.episode)
    for o in offers:
        number = max(number, o.episode)
    for f in followups:
        number = max(number, f.episode + 1 if f.outcome == "unsatisfied" else f.episode)
    return number


def _escalation_key(e: EscalationFact) -> tuple[int, int, datetime]:
    return (e.episode, rank(e.level), e.sla_due_at)


def _offer_key(o: OfferFact) -> tuple[int, int, datetime, str]:
    return (o.episode, rank(o.level), o.at, o.offer_id)


def outcome_of(followups: Iterable[FollowUpFact]) -> FollowUpOutcome | None:
    closing = {f.outcome for f in followups if f.outcome != "unsatisfied"}
    if not closing:
        return None
    return "satisfied" if "satisfied" in closing else "no_response"


def awaits_answer(offer: OfferFact, episode: int, level: Level) -> bool:
    """Does this open offer still wait for the customer (not from an earlier episode or a lower level)?"""
    return offer.episode >= episode and rank(offer.level) >= rank(level)


def status_of(*, closed: bool, offer_awaiting: bool, episode: int, level: Level) -> Status:
    if closed:
        return "closed"
    if offer_awaiting:
        return "recovery_offered"
    if episode > 1:
        return "reopened"
    return "received" if level == "front_line" else "escalated"


def due_at(episode: int, current: EscalationFact | None, escalated: bool,
           front_line: datetime | None) -> datetime | None:
    """The first response's due time: the current escalation's, else the front line's in episode 1."""
    if current is not None:
        return current.sla_due_at
    return front_line if episode == 1 and not escalated else None


def overdue(due: datetime | None, now: datetime) -> bool:
    """The breach boundary: a response due at `due` and not in is late from `due` on (inclusive)."""
    return due is not None and now >= due


def is_breached(due: datetime | None, responded_at: datetime | None, sla_breached: bool, now: datetime | None,
                ) -> bool:
    """Breached: an `sla_breached` escalation, or the due time came before the response (`now` when
    none came yet; `now=None` asks only what the recorded events say)."""
    if sla_breached:
        return True
    moment = responded_at if responded_at is not None else now
    return moment is not None and overdue(due, moment)


def derive(escalations: Sequence[EscalationFact], offers: Sequence[OfferFact], followups: Sequence[FollowUpFact],
           front_line: datetime | None = None) -> Lifecycle:
    """The lifecycle of a case from its facts (any order). `front_line`: its front-line due time, if known."""
    episode = episode_of(escalations, offers, followups)
    top = max(escalations, key=_escalation_key) if escalations else None
    level: Level = top.level if top is not None else "front_line"
    department = None
    for e in sorted(escalations, key=_escalation_key):
        department = e.department or department
    outcome = outcome_of(followups)
    answered = {f.offer_id for f in followups}
    superseded = {o.supersedes for o in offers if o.supersedes}
    candidates = [o for o in offers if o.offer_id not in answered and o.offer_id not in superseded]
    open_offer = max(candidates, key=_offer_key) if candidates and outcome is None else None
    current = top if top is not None and top.episode == episode else None
    responses = [o.at for o in offers if o.episode == episode and rank(o.level) >= rank(level)]
    responded_at = min(responses) if responses else None
    waiting = open_offer is not None and awaits_answer(open_offer, episode, level)
    return Lifecycle(
        status=status_of(closed=outcome is not None, offer_awaiting=waiting, episode=episode, level=level),
        episode=episode,
        level=level,
        department=department,
        outcome=outcome,
        open_offer=open_offer,
        due_at=due_at(episode, current, bool(escalations), front_line),
        responded_at=responded_at,
        sla_breached=any(e.reason == "sla_breached" and e.episode == episode for e in escalations),
    )
