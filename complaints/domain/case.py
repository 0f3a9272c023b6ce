"""A case's state, folded from its events: `evolve` is pure, idempotent and order-tolerant.

The state keeps the facts of each event (as small records: `EscalationRecord`, `OfferRecord`,
`FollowUpRecord`; the read model's `*View` classes are what staff see) and derives everything
else from them — level, episode, status, the open offer — so the same set of
events yields the same state whatever order they arrive in across topics.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from complaints.domain import lifecycle
from complaints.domain.errors import CaseClosed as CaseClosedError
from complaints.domain.errors import UnknownCase
from complaints.domain.levels import rank
from complaints.domain.lifecycle import (
    ClosureFact,
    EscalationFact,
    FirstResponse,
    FollowUpFact,
    Lifecycle,
    OfferFact,
    ReopenFact,
    ReplyFact,
    Status,
)
from complaints.domain.trusted import trusted
from schemas.common import (
    Category,
    Channel,
    CloseReason,
    Department,
    EscalationReason,
    FollowUpOutcome,
    Level,
    Money,
    Severity,
)
from schemas.events import (
    CaseAssigned,
    CaseClosed,
    CaseReopened,
    ComplaintReceived,
    CustomerReplied,
    Escalated,
    Event,
    FollowedUp,
    NoteAdded,
    RecoveryOffered,
)

__all__ = ["AssignmentRecord", "CaseFacts", "CaseState", "ClosureRecord", "EscalationRecord", "FollowUpRecord",
           "OfferRecord", "ReopenRecord", "ReplyRecord", "Status", "evolve"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseFacts(_Frozen):
    """What intake recorded (no personal data: that stays sealed in the event)."""

    channel: Channel
    category: Category
    severity: Severity
    public: bool
    wants_human: bool
    customer_ref: str
    order_ref: str | None
    amount_at_stake: Money | None
    prior_complaints: int
    received_at: datetime
    policy_version: str | None = None  # the policy intake classified and triaged under (None: a v1 record)
    first_response_due_at: datetime | None = None  # as intake recorded it (None: a v1 record)

    @classmethod
    def of(cls, received: ComplaintReceived) -> CaseFacts:
        # the received event is already validated and has every field with the same type: no re-validation
        return trusted(cls, {name: getattr(received, name) for name in _FACT_FIELDS})


_FACT_FIELDS: tuple[str, ...] = tuple(CaseFacts.model_fields)


class EscalationRecord(_Frozen):
    event_id: str
    level: Level
    from_level: Level
    department: Department | None
    reason: EscalationReason
    episode: int
    sla_due_at: datetime
    at: datetime | None = None  # the event's time (None in states saved before it was kept)

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.episode, rank(self.level), self.event_id)

    @property
    def fact(self) -> EscalationFact:
        return tuple.__new__(EscalationFact, (self.episode, self.level, self.department, self.reason, self.sla_due_at,
                                                self.at))


class OfferRecord(_Frozen):
    offer_id: str
    level: Level
    total: Money
    authority_limit: Money
    episode: int
    offered_by: str
    supersedes: str | None
    follow_up_at: datetime
    respond_by: datetime
    at: datetime

    @property
    def key(self) -> tuple[int, int, datetime, str]:
        return (self.episode, rank(self.level), self.at, self.offer_id)

    @property
    def fact(self) -> OfferFact:
        return tuple.__new__(OfferFact, (self.offer_id, self.episode, self.level, self.at, self.supersedes))


class FollowUpRecord(_Frozen):
    event_id: str
    offer_id: str
    outcome: FollowUpOutcome
    episode: int
    csat: int | None
    at: datetime | None = None  # the event's time (None in states saved before it was kept)

    @property
    def fact(self) -> FollowUpFact:
        return tuple.__new__(FollowUpFact, (self.offer_id, self.episode, self.outcome))


class AssignmentRecord(_Frozen):
    event_id: str
    assignee: str | None
    at: datetime


class ReplyRecord(_Frozen):
    event_id: str
    episode: int
    level: Level
    at: datetime

    @property
    def fact(self) -> ReplyFact:
        return ReplyFact(self.episode, self.level, self.at)


class ClosureRecord(_Frozen):
    event_id: str
    episode: int
    reason: CloseReason
    duplicate_of: str | None
    closed_by: str
    at: datetime

    @property
    def fact(self) -> ClosureFact:
        return ClosureFact(self.episode, self.reason, self.duplicate_of, self.closed_by, self.at)


class ReopenRecord(_Frozen):
    event_id: str
    episode: int
    first_response_due_at: datetime
    at: datetime

    @property
    def fact(self) -> ReopenFact:
        return ReopenFact(self.episode, self.first_response_due_at, self.at)


class CaseState(_Frozen):
    complaint_id: str
    status: Status = "received"
    level: Level = "front_line"
    department: Department | None = None
    episode: int = 1
    received_id: str | None = None
    facts: CaseFacts | None = None  # None until the ComplaintReceived arrives
    sla_due_at: datetime | None = None  # due time set by the latest escalation of this episode
    first_response_at: datetime | None = None  # first offer or reply of this episode
    open_offer: OfferRecord | None = None
    escalations: tuple[EscalationRecord, ...] = ()
    offers: tuple[OfferRecord, ...] = ()
    followups: tuple[FollowUpRecord, ...] = ()
    closed: bool = False
    outcome: FollowUpOutcome | None = None
    flagged: bool = False  # closed without an answer from the customer
    assignee: str | None = None  # who works the case (the latest CaseAssigned; None: in the queue)
    assignments: tuple[AssignmentRecord, ...] = ()
    replies: tuple[ReplyRecord, ...] = ()
    closures: tuple[ClosureRecord, ...] = ()
    reopens: tuple[ReopenRecord, ...] = ()
    closed_by_staff: ClosureRecord | None = None  # the staff closure that closes the case, if one does
    applied: tuple[str, ...] = ()
    updated_at: datetime | None = None

    @property
    def current_escalation(self) -> EscalationRecord | None:
        """The escalation that put the case at its level in this episode, if any."""
        top = self.escalations[-1] if self.escalations else None
        return top if top is not None and top.episode == self.episode else None

    @property
    def responded(self) -> bool:
        """Did the current level (or one above) make an offer in this episode?"""
        return self.derived().responded_at is not None

    @property
    def offer_awaiting_answer(self) -> OfferRecord | None:
        """The open offer, unless the case has since moved above it (then a new offer is expected)."""
        offer = self.open_offer
        return offer if offer is not None and self.derived().offer_awaiting_answer is not None else None

    def derived(self, first_response: FirstResponse | None = None) -> Lifecycle:
        """The case's lifecycle (`complaints.domain.lifecycle.derive`); with the policy's
        `first_response_sla`, its due time before any escalation too."""
        facts = self.facts
        front_line = facts.first_response_due_at if facts is not None else None
        if facts is not None and front_line is None and first_response is not None:
            front_line = lifecycle.first_response_due(facts.received_at, facts.channel, facts.severity,
                                                      facts.public, first_response)
        return _lifecycle(self, front_line)

    def due_at(self, first_response: FirstResponse) -> datetime | None:
        """When the first response of this episode at this level is (or was) due."""
        return self.derived(first_response).due_at

    def breached(self, first_response: FirstResponse, now: datetime) -> bool:
        """Was (or is, as of `now`) this episode's first response late?"""
        return self.derived(first_response).breached(now)

    @property
    def closed_as(self) -> str | None:
        """How the case closed, in a word: the follow-up's outcome, or the staff closure's reason (None: open)."""
        if self.outcome is not None:
            return self.outcome
        return f"by staff: {self.closed_by_staff.reason}" if self.closed_by_staff is not None else None

    @property
    def answered_offers(self) -> tuple[str, ...]:
        return tuple(f.offer_id for f in self.followups)


def evolve(state: CaseState | None, event: Event, event_id: str, at: datetime) -> CaseState:
    """Apply one event; applying an already-applied `event_id` returns `state` unchanged."""
    if state is None:
        state = CaseState(complaint_id=event.complaint_id)
    elif state.complaint_id != event.complaint_id:
        raise ValueError(f"event for {event.complaint_id} applied to case {state.complaint_id}")
    if event_id in state.applied:
        return state
    updated = state.updated_at if state.updated_at and state.updated_at > at else at
    return _derive(_record(state, event, event_id, at), applied=(*state.applied, event_id), updated_at=updated)


def _record(state: CaseState, event: Event, event_id: str, at: datetime) -> CaseState:
    if isinstance(event, ComplaintReceived):
        if state.facts is not None:  # a second intake of the same case: the first one stands
            return state
        return state.model_copy(update={"facts": CaseFacts.of(event), "received_id": event_id})
    if isinstance(event, Escalated):
        fields = set(EscalationRecord.model_fields) - {"at"}
        view = EscalationRecord(event_id=event_id, at=at, **event.model_dump(include=fields))
        return state.model_copy(update={"escalations": tuple(sorted((*state.escalations, view), key=_esc_key))})
    if isinstance(event, RecoveryOffered):
        offer = OfferRecord(at=at, **event.model_dump(include=set(OfferRecord.model_fields) - {"at"}))
        return state.model_copy(update={"offers": tuple(sorted((*state.offers, offer), key=_offer_key))})
    if isinstance(event, FollowedUp):
        fields = set(FollowUpRecord.model_fields) - {"event_id", "at"}
        view_f = FollowUpRecord(event_id=event_id, at=at, **event.model_dump(include=fields))
        ordered = sorted((*state.followups, view_f), key=lambda f: (f.episode, f.event_id))
        return state.model_copy(update={"followups": tuple(ordered)})
    return _record_work(state, event, event_id)


def _record_work(state: CaseState, event: Event, event_id: str) -> CaseState:
    """Staff case work (every time is the event's own `at`, the request's: never a clock)."""
    if isinstance(event, CaseAssigned):
        given = AssignmentRecord(event_id=event_id, assignee=event.assignee, at=event.at)
        return state.model_copy(update={"assignments": (*state.assignments, given)})
    if isinstance(event, CustomerReplied):
        reply = ReplyRecord(event_id=event_id, episode=event.episode, level=event.level, at=event.at)
        return state.model_copy(update={"replies": (*state.replies, reply)})
    if isinstance(event, CaseClosed):
        closure = ClosureRecord(event_id=event_id, episode=event.episode, reason=event.reason,
                                duplicate_of=event.duplicate_of, closed_by=event.closed_by, at=event.at)
        return state.model_copy(update={"closures": (*state.closures, closure)})
    if isinstance(event, CaseReopened):
        reopen = ReopenRecord(event_id=event_id, episode=event.episode,
                              first_response_due_at=event.first_response_due_at, at=event.at)
        return state.model_copy(update={"reopens": (*state.reopens, reopen)})
    if isinstance(event, NoteAdded):  # its text is sealed on the topic; the state only knows it was applied
        return state
    raise TypeError(f"not a lifecycle event: {type(event).__name__}")


def _lifecycle(state: CaseState, front_line: datetime | None = None) -> Lifecycle:
    return lifecycle.derive([e.fact for e in state.escalations], [o.fact for o in state.offers],
                            [f.fact for f in state.followups], front_line,
                            replies=[r.fact for r in state.replies], closures=[c.fact for c in state.closures],
                            reopens=[r.fact for r in state.reopens])


def _esc_key(view: EscalationRecord) -> tuple[int, int, str]:
    return view.key


def _offer_key(view: OfferRecord) -> tuple[int, int, datetime, str]:
    return view.key


def _closure(state: CaseState, life: Lifecycle) -> ClosureRecord | None:
    fact = life.closure
    return next((c for c in state.closures if c.fact == fact), None) if fact is not None else None


def _derive(state: CaseState, *, applied: tuple[str, ...], updated_at: datetime) -> CaseState:
    life = _lifecycle(state)
    chosen = life.open_offer
    open_offer = next((o for o in state.offers if o.offer_id == chosen.offer_id), None) if chosen else None
    firsts = [o.at for o in state.offers if o.episode == life.episode]
    firsts += [r.at for r in state.replies if r.episode == life.episode]
    return state.model_copy(
        update={
            "status": life.status,
            "level": life.level,
            "department": life.department,
            "episode": life.episode,
            "sla_due_at": life.due_at,
            "first_response_at": min(firsts) if firsts else None,
            "open_offer": open_offer,
            "closed": life.closed,
            "outcome": life.outcome,
            "flagged": life.outcome == "no_response",
            "assignee": lifecycle.assignee_of((a.at, a.event_id, a.assignee) for a in state.assignments),
            "closed_by_staff": _closure(state, life),
            "applied": applied,
            "updated_at": updated_at,
        }
    )


def open_case(state: CaseState | None, closed: str) -> tuple[CaseState, CaseFacts]:
    """The case a staff action acts on, with its facts; refused when unknown (404) or closed (409).

    `closed` says what cannot be done to a closed case (e.g. "it cannot be escalated")."""
    if state is None or state.facts is None:
        raise UnknownCase("There is no such complaint (or it has not been received yet).")
    if state.closed:
        raise CaseClosedError(f"Complaint {state.complaint_id} is already closed ({state.closed_as}); {closed}.")
    return state, state.facts
