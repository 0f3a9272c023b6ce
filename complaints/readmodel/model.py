"""The read model's values: a case's state and its timeline entries (pydantic, immutable).

`Case` is what the pure projector folds events into and what the `cases` table stores
as JSON; the API renders it as a `CaseView` (see `views.py`). Nothing here holds
personal data: the customer is a reference, sealed blobs are never copied.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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
from schemas.events import Remedy
from schemas.sla import ResolutionTarget

Status = Literal["received", "escalated", "recovery_offered", "closed", "reopened"]
STATUSES: tuple[Status, ...] = ("received", "escalated", "recovery_offered", "closed", "reopened")

#: Canonical order of a case's events: (episode, time, type rank, event id); ComplaintReceived is episode 0.
SortKey = tuple[int, datetime, int, str]


def utc(dt: datetime) -> datetime:
    """Aware UTC (naive values are taken as UTC)."""
    if dt.tzinfo is UTC:
        return dt
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


class Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class Sla(Value):
    """The first-response obligation of the current episode, at the current level."""

    due_at: datetime | None = Field(default=None, description="First response due by then.")
    breached: bool = Field(default=False, description="Missed in this episode (or due and still unanswered).")
    awaiting_response: bool = Field(default=False, description="No recovery offer since the last escalation.")
    responded_at: datetime | None = Field(default=None, description="Latest first response in this episode.")
    resolution_due: datetime | None = Field(default=None, description="Resolution due by then, in business time "
                                            "(None: no resolution target, or the clock is paused).")
    resolution_breached: bool = Field(default=False, description="Resolved at or after the resolution due time.")
    resolution_paused: bool = Field(default=False, description="The resolution clock is stopped: an offer awaits "
                                    "the customer's answer (the policy's pause_while_awaiting_customer).")


class Fulfilment(Value):
    """What was given for an accepted offer (`OfferFulfilled`)."""

    at: datetime
    amount: Money = Field(description="What it cost, exactly.")
    fulfilled_by: str


class OfferView(Value):
    offer_id: str
    at: datetime
    episode: int
    level: Level
    department: Department | None = None
    remedies: tuple[Remedy, ...]
    total: Money
    apology: str
    authority_limit: Money
    offered_by: str
    reasons: tuple[str, ...]
    follow_up_at: datetime
    respond_by: datetime
    supersedes: str | None = None
    superseded_by: str | None = None
    policy_version: str
    accepted_at: datetime | None = Field(default=None, description="The customer accepted it (`OfferAccepted`).")
    declined_at: datetime | None = Field(default=None, description="The customer declined it (`OfferDeclined`).")
    fulfilled: Fulfilment | None = Field(default=None, description="What was given for it (`OfferFulfilled`).")


class FollowUpView(Value):
    offer_id: str
    at: datetime
    episode: int
    outcome: FollowUpOutcome
    satisfied: bool | None = None
    csat: int | None = None
    has_comment: bool = Field(default=False, description="The customer left a (sealed) comment; never shown here.")
    recorded_by: str
    policy_version: str
    reasons: tuple[str, ...] = Field(default=(), description="Why it closed or reopened (empty on v1 records).")


class EscalationView(Value):
    at: datetime
    episode: int
    level: Level
    department: Department | None = None
    from_level: Level
    reason: EscalationReason
    reasons: tuple[str, ...]
    sla_due_at: datetime
    requested_by: str | None = None
    policy_version: str


class EpisodeView(Value):
    """One handling of the case; a reopen (unsatisfied follow-up) starts the next."""

    number: int
    started_at: datetime | None = None
    first_offer_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: FollowUpOutcome | None = None


class Outcome(Value):
    """The latest follow-up's verdict."""

    outcome: FollowUpOutcome
    satisfied: bool | None = None
    csat: int | None = None
    episode: int
    at: datetime


class ReplyView(Value):
    """Staff answered the customer (the text stays sealed on the topic: the personal-data read opens it)."""

    at: datetime
    episode: int
    level: Level
    by: str


class NoteView(Value):
    """An internal note (sealed on the topic; the personal-data read opens it)."""

    at: datetime
    episode: int
    by: str


class ClosureView(Value):
    """Staff closed the case without an offer."""

    reason: CloseReason
    duplicate_of: str | None = None
    by: str
    at: datetime
    episode: int = 1


class ReopenView(Value):
    """Staff reopened a closed case: a new episode."""

    at: datetime
    episode: int
    level: Level
    reason: str
    by: str
    first_response_due_at: datetime


class TimelineEntry(Value):
    id: str = Field(description="The event id (`ce_id`).")
    type: str = Field(description="Event name, e.g. `Escalated`.")
    ce_type: str = Field(description="CloudEvents type, e.g. `complaints.Escalated.v1`.")
    time: datetime
    position: str = Field(description="Log position `topic:partition:offset`.")
    episode: int
    summary: str
    essentials: dict[str, Any]
    source: str
    correlation_id: str
    causation_id: str | None = None


class CaseFields(Value):
    """What a case shows: everything folded from its events, minus bookkeeping."""

    complaint_id: str
    status: Status = "received"
    episode: int = 1
    level: Level = "front_line"
    department: Department | None = None
    channel: Channel | None = None
    customer_ref: str | None = None
    category: Category | None = None
    severity: Severity | None = None
    public: bool | None = None
    wants_human: bool | None = None
    order_ref: str | None = None
    amount_at_stake: Money | None = None
    occurred_at: datetime | None = None
    received_at: datetime | None = None
    prior_complaints: int | None = None
    policy_version: str | None = Field(default=None, description="The policy the case was triaged under.")
    reasons: tuple[str, ...] = Field(default=(), description="Intake's classification and triage, in words.")
    first_response_due_at: datetime | None = Field(
        default=None, description="The front line's due time as recorded at intake (None: an old record).")
    resolution_target: ResolutionTarget | None = Field(
        default=None, description="The resolution SLA recorded at intake (None: none set, or an old record).")
    sla: Sla = Sla()
    offers: tuple[OfferView, ...] = ()
    follow_ups: tuple[FollowUpView, ...] = ()
    escalations: tuple[EscalationView, ...] = ()
    episodes: tuple[EpisodeView, ...] = ()
    outcome: Outcome | None = None
    first_response_at: datetime | None = None
    first_response_sla_met: bool | None = None
    reopen_count: int = 0
    assignee: str | None = Field(default=None, description="Staff id working the case (None: in the queue).")
    closure: ClosureView | None = Field(default=None, description="Set while a staff closure closes the case.")
    replies: tuple[ReplyView, ...] = ()
    notes: tuple[NoteView, ...] = ()
    closures: tuple[ClosureView, ...] = ()
    reopens: tuple[ReopenView, ...] = ()
    event_count: int = 0
    updated_at: datetime | None = Field(default=None, description="Time of the latest event.")


class Case(CaseFields):
    """A case as folded from its events (the projector's state, stored as the case row's JSON)."""

    positions: dict[str, int] = Field(default_factory=dict, description="'topic:partition' -> highest offset.")
    assignments: tuple[tuple[datetime, str, str | None], ...] = Field(
        default=(), description="(at, event id, assignee) of every assignment (`lifecycle.assignee_of`).")
    last_key: SortKey | None = None

    def position_tokens(self) -> list[str]:
        return position_tokens(self.positions)


def position_tokens(positions: dict[str, int]) -> list[str]:
    """'topic:partition' -> highest offset, as 'topic:partition:offset' tokens in order."""
    return [f"{part}:{offset}" for part, offset in sorted(positions.items())]
