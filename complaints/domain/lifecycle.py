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
- **responds**: an offer answers the case's current obligation when it is of the current episode
  and was made after the current escalation (any offer of the episode when there is none; at the
  same instant, one from the current level or above). An offer made before the case moved up does
  not: the new level owes its own response.
- **open offer**: the latest offer (by episode, rank, time, id) neither answered by a follow-up
  nor superseded by another offer. It **awaits an answer** when it responds (above).
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
- **responded at**: the first offer that responds (above).
- **staff case work** (`CustomerReplied`, `CaseClosed`, `CaseReopened`): a reply to the customer
  responds like an offer (same rule: of this episode, after the current escalation), so it stops the
  SLA clock without money. A staff closure closes the case (no outcome: never `no_response`, no money;
  any open offer is withdrawn). A staff reopen starts its episode: follow-up outcomes and closures of
  earlier episodes no longer close the case, and the reopen's `first_response_due_at` is the due time
  until an escalation of the episode sets another.
- **breached**: an `sla_breached` escalation in this episode, or the due time came while no
  response was in: `(responded_at or now) >= due`. The boundary is the escalation decision's:
  a response due at 10:00 is late at 10:00, and the SLA timer escalates at `now >= due`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Literal, NamedTuple

from complaints.domain.levels import RANKS
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
    at: datetime | None  # the event's time (None: a worker state saved before it was kept)


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


class ReplyFact(NamedTuple):
    """What a `CustomerReplied` says about the lifecycle: a first response without money."""

    episode: int
    level: Level
    at: datetime


class ClosureFact(NamedTuple):
    """What a `CaseClosed` says: staff closed the case without an offer."""

    episode: int
    reason: str
    duplicate_of: str | None
    by: str
    at: datetime


class ReopenFact(NamedTuple):
    """What a `CaseReopened` says: a new episode, its first response due then."""

    episode: int
    first_response_due_at: datetime
    at: datetime


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
        return self.outcome is not None or self.closure is not None

    def breached(self, now: datetime | None) -> bool:
        """`is_breached` of this case: as of `now` while open (`now=None`: as the events recorded it)."""
        return is_breached(self.due_at, self.responded_at, self.sla_breached, None if self.closed else now)

    current: EscalationFact | None  # the escalation that set this episode's obligation, if any
    closure: ClosureFact | None = None  # staff closed the case (in this episode or since its last reopen)

    @property
    def offer_awaiting_answer(self) -> OfferFact | None:
        offer = self.open_offer
        return offer if offer is not None and responds(offer, self.episode, self.level, self.current) else None


def assignee_of(assignments: Iterable[tuple[datetime, str, str | None]]) -> str | None:
    """Who works the case: the assignee of the latest `CaseAssigned` by (its time, its id), whatever the
    arrival order; None when released or never taken."""
    latest = max(assignments, key=lambda a: (a[0], a[1]), default=None)
    return None if latest is None else latest[2]


def first_response_due(received_at: datetime, channel: Channel, severity: Severity, public: bool,
                   first_response: FirstResponse) -> datetime:
    """When a new case's first response is due at the front line (the one place this is computed)."""
    return received_at + first_response(channel, severity, public)


def responds(offer: OfferFact | ReplyFact, episode: int, level: Level, current: EscalationFact | None) -> bool:
    """Does this offer answer the case's current obligation: made in this episode, after the current
    escalation (at the same instant, or for an escalation saved without its time: from the current
    level or above)?"""
    if offer.episode != episode:
        return False
    if current is None or (current.at is not None and offer.at > current.at):
        return True
    return (current.at is None or offer.at == current.at) and RANKS[offer.level] >= RANKS[level]


def status_of(*, closed: bool, offer_awaiting: bool, episode: int, level: Level) -> Status:
    if closed:
        return "closed"
    if offer_awaiting:
        return "recovery_offered"
    if episode > 1:
        return "reopened"
    return "received" if level == "front_line" else "escalated"


def due_at(episode: int, current: EscalationFact | None, escalated: bool,
           front_line: datetime | None, reopened: datetime | None = None) -> datetime | None:
    """The first response's due time: the current escalation's, else a staff reopen's of this episode,
    else the front line's in episode 1."""
    if current is not None:
        return current.sla_due_at
    if reopened is not None:
        return reopened
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
           front_line: datetime | None = None, *, replies: Sequence[ReplyFact] = (),
           closures: Sequence[ClosureFact] = (), reopens: Sequence[ReopenFact] = ()) -> Lifecycle:
    """The lifecycle of a case from its facts (any order). `front_line`: its front-line due time, if known.

    One pass over each list (the read model calls this on every event it folds)."""
    episode, top, top_key, department, department_key = 1, None, None, None, None
    floor = 0  # the latest staff reopen's episode: closures and outcomes before it no longer close the case
    for r in reopens:
        episode, floor = max(episode, r.episode), max(floor, r.episode)
    for e in escalations:
        key = (e.episode, RANKS[e.level], e.sla_due_at)
        episode = max(episode, e.episode)
        if top_key is None or key > top_key:
            top, top_key = e, key
        if e.department is not None and (department_key is None or key > department_key):
            department, department_key = e.department, key
    answered, satisfied, no_response = set(), False, False
    for f in followups:
        answered.add(f.offer_id)
        if f.outcome == "unsatisfied":
            episode = max(episode, f.episode + 1)
        else:
            episode = max(episode, f.episode)
            if f.episode >= floor:
                satisfied = satisfied or f.outcome == "satisfied"
                no_response = no_response or f.outcome == "no_response"
    outcome: FollowUpOutcome | None = "satisfied" if satisfied else "no_response" if no_response else None
    closure = None
    for c in closures:
        episode = max(episode, c.episode)
        if c.episode >= floor and (closure is None or (c.at, c.episode) > (closure.at, closure.episode)):
            closure = c
    superseded = {o.supersedes for o in offers if o.supersedes}
    open_offer, open_key = None, None
    for o in offers:
        episode = max(episode, o.episode)
        if o.offer_id not in answered and o.offer_id not in superseded:
            key_o = (o.episode, RANKS[o.level], o.at, o.offer_id)
            if open_key is None or key_o > open_key:
                open_offer, open_key = o, key_o
    if outcome is not None or closure is not None:
        open_offer = None
    level: Level = top.level if top is not None else "front_line"
    current = top if top is not None and top.episode == episode else None
    responded_at = None
    for o in offers:
        if responds(o, episode, level, current) and (responded_at is None or o.at < responded_at):
            responded_at = o.at
    for reply in replies:
        if responds(reply, episode, level, current) and (responded_at is None or reply.at < responded_at):
            responded_at = reply.at
    waiting = open_offer is not None and responds(open_offer, episode, level, current)
    breach = False
    for e in escalations:
        breach = breach or (e.reason == "sla_breached" and e.episode == episode)
    closed = outcome is not None or closure is not None
    status = status_of(closed=closed, offer_awaiting=waiting, episode=episode, level=level)
    reopened = max((r for r in reopens if r.episode == episode), key=lambda r: r.at, default=None)
    due = due_at(episode, current, bool(escalations), front_line,
                 reopened.first_response_due_at if reopened is not None else None)
    return tuple.__new__(Lifecycle, (status, episode, level, department, outcome, open_offer, due, responded_at,
                                     breach, current, closure))
