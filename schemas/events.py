"""The event types of the complaint lifecycle (ComplaintReceived and FollowedUp at v2; older
versions are upcast in `registry.py`).

Each event is the JSON value of one Kafka record on the topic of the same name (the
customer's answers to an offer travel on the offer's topic, `RecoveryOffered`),
keyed by `complaint_id`. Envelope attributes (id, time, source, correlation and
causation) travel as CloudEvents headers, not in these payloads.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from schemas.common import (
    Category,
    Channel,
    CloseReason,
    Department,
    EscalationReason,
    FollowUpOutcome,
    Frozen,
    Level,
    Money,
    RemedyType,
    Sealed,
    Severity,
)


class Event(Frozen):
    """Base of every lifecycle event."""

    topic: ClassVar[str]
    #: The type's name when it differs from its topic's (several types share one topic).
    name: ClassVar[str | None] = None
    version: ClassVar[int] = 1

    complaint_id: str = Field(description="Case id; also the Kafka key and `ce_subject`.")

    @classmethod
    def event_type(cls) -> str:
        """The CloudEvents `type`, e.g. `complaints.ComplaintReceived.v1`."""
        return f"complaints.{cls.name or cls.topic}.v{cls.version}"


class ComplaintReceived(Event):
    """A customer reported a service failure, on any channel.

    v2 adds what intake decided under the policy: `policy_version`, `reasons` (classification and
    triage) and `first_response_due_at` (v1 records are upcast with none of them)."""

    topic: ClassVar[str] = "ComplaintReceived"
    version: ClassVar[int] = 2

    channel: Channel
    customer_ref: str = Field(description="Pseudonymous customer reference (no personal data).")
    personal: Sealed = Field(description="Contact details and the description, encrypted.")
    category: Category
    category_source: Literal["customer", "classified"]
    severity: Severity
    severity_source: Literal["customer", "classified"]
    public: bool = False
    wants_human: bool = False
    order_ref: str | None = None
    amount_at_stake: Money | None = None
    occurred_at: datetime | None = None
    received_at: datetime
    prior_complaints: int = Field(ge=0, description="Earlier complaints by this customer, in the window.")
    policy_version: str | None = Field(default=None, description="The policy (id with content hash) the case "
                                       "was classified and triaged under; None on upcast v1 records.")
    reasons: tuple[str, ...] = Field(default=(), description="Why: intake's classification and triage, in words.")
    first_response_due_at: datetime | None = Field(
        default=None, description="First response due by then at the level triage chose (None: a v1 record).")


class Escalated(Event):
    """The case moved up to a level (and department) that can own it."""

    topic: ClassVar[str] = "Escalated"

    level: Level
    department: Department | None = None
    from_level: Level
    reason: EscalationReason
    reasons: tuple[str, ...] = Field(description="Human-readable reasons for the decision.")
    sla_due_at: datetime = Field(description="First response due by this time at the new level.")
    episode: int = Field(ge=1, description="1 for the first handling; +1 per reopen.")
    policy_version: str
    requested_by: str | None = Field(default=None, description="Agent id for manual escalations.")


class Remedy(Frozen):
    """One item of a recovery offer."""

    type: RemedyType
    amount: Money | None = Field(default=None, description="Cost to us; None for an apology.")
    description: str = Field(min_length=1, max_length=500)


class RecoveryOffered(Event):
    """A recovery (apology + remedy + gesture) was offered to the customer."""

    topic: ClassVar[str] = "RecoveryOffered"

    offer_id: str
    supersedes: str | None = Field(default=None, description="The offer this one replaces.")
    remedies: tuple[Remedy, ...] = Field(min_length=1)
    total: Money
    apology: str = Field(min_length=1, max_length=2000)
    level: Level
    department: Department | None = None
    authority_limit: Money
    offered_by: str = Field(description="'policy' for automatic offers, else the agent id.")
    reasons: tuple[str, ...]
    follow_up_at: datetime = Field(description="When someone senior checks back with the customer.")
    respond_by: datetime = Field(description="No answer by then: follow-up closes as no_response.")
    episode: int = Field(ge=1)
    policy_version: str


class FollowedUp(Event):
    """Someone checked back with the customer after a recovery offer (v2 adds `reasons`)."""

    topic: ClassVar[str] = "FollowedUp"
    version: ClassVar[int] = 2

    offer_id: str
    outcome: FollowUpOutcome
    satisfied: bool | None = None
    csat: int | None = Field(default=None, ge=1, le=5)
    comment: Sealed | None = Field(default=None, description="Customer's words, encrypted.")
    episode: int = Field(ge=1)
    policy_version: str
    recorded_by: str = Field(description="Agent id, or 'policy' for no_response.")
    reasons: tuple[str, ...] = Field(default=(), description="Why the case closed or reopened, in words "
                                     "(empty on upcast v1 records).")


class OfferAccepted(Event):
    """The customer accepted a recovery offer (through their link). On the `RecoveryOffered` topic."""

    topic: ClassVar[str] = "RecoveryOffered"
    name: ClassVar[str | None] = "OfferAccepted"

    offer_id: str
    episode: int = Field(ge=1)
    recorded_by: str = Field(description="'customer' (their link), else the agent id.")


class OfferDeclined(Event):
    """The customer declined a recovery offer; a `FollowedUp` (unsatisfied) for it follows. On `RecoveryOffered`."""

    topic: ClassVar[str] = "RecoveryOffered"
    name: ClassVar[str | None] = "OfferDeclined"

    offer_id: str
    episode: int = Field(ge=1)
    recorded_by: str = Field(description="'customer' (their link), else the agent id (their words: on the FollowedUp).")


class OfferFulfilled(Event):
    """What was promised was given: an accepted offer fulfilled (by staff or an integration). On `RecoveryOffered`."""

    topic: ClassVar[str] = "RecoveryOffered"
    name: ClassVar[str | None] = "OfferFulfilled"

    offer_id: str
    episode: int = Field(ge=1)
    amount: Money = Field(description="What it cost us, exactly (at most the offer's total).")
    reference: str = Field(min_length=1, max_length=200, description="The refund, credit or shipment reference.")
    fulfilled_by: str = Field(min_length=1, max_length=200, description="Staff id, or the integration's name.")


class CaseWork(Event):
    """Base of staff case work (on the `Escalated` topic): who did it, when (the request's time), in which episode."""

    topic: ClassVar[str] = "Escalated"

    episode: int = Field(ge=1, description="The case's episode when the action was taken (a reopen: the new one).")
    at: datetime = Field(description="When staff acted (the request's time); the folds use it, never a clock.")


class CaseAssigned(CaseWork):
    """A member of staff took, was given, or released a case (`assignee` None: released). On `Escalated`."""

    name: ClassVar[str | None] = "CaseAssigned"

    assignee: str | None = Field(default=None, max_length=200, description="Staff id now working the case; "
                                 "None when it was released to the queue.")
    assigned_by: str = Field(min_length=1, max_length=200, description="Staff id who took, assigned or released it.")


class CustomerReplied(CaseWork):
    """Staff answered the customer without money: the case's first response for the SLA. On `Escalated`."""

    name: ClassVar[str | None] = "CustomerReplied"

    message: Sealed = Field(description="The reply's text, encrypted with the customer's key.")
    level: Level = Field(description="The case's level when the reply was sent.")
    replied_by: str = Field(min_length=1, max_length=200, description="Staff id.")


class NoteAdded(CaseWork):
    """An internal note on the case (notes carry personal details, so sealed). On `Escalated`."""

    name: ClassVar[str | None] = "NoteAdded"

    text: Sealed = Field(description="The note, encrypted with the customer's key.")
    added_by: str = Field(min_length=1, max_length=200, description="Staff id.")


class CaseClosed(CaseWork):
    """Staff closed the case without an offer: any open offer is withdrawn, timers stop, no money and no
    `no_response` follow. On `Escalated`."""

    name: ClassVar[str | None] = "CaseClosed"

    reason: CloseReason
    duplicate_of: str | None = Field(default=None, max_length=200,
                                     description="The complaint this one duplicates (only with reason duplicate).")
    withdrawn_offer: str | None = Field(default=None, description="The offer open when the case closed, withdrawn.")
    closed_by: str = Field(min_length=1, max_length=200, description="Staff id.")
    reasons: tuple[str, ...] = Field(default=(), description="Why, in words.")


class CaseReopened(CaseWork):
    """Staff reopened a closed case: a new episode at its level, with a new first-response due time. On `Escalated`."""

    name: ClassVar[str | None] = "CaseReopened"

    reason: str = Field(min_length=1, max_length=500, description="Why, in the words of who reopened it.")
    level: Level = Field(description="The level the case is reopened at (where it was).")
    first_response_due_at: datetime = Field(description="First response due by then in the new episode.")
    reopened_by: str = Field(min_length=1, max_length=200, description="Staff id.")
    policy_version: str


#: The lifecycle's types, which every lifecycle fold knows (`schemas.registry.MODELS`).
EVENT_CLASSES: tuple[type[Event], ...] = (ComplaintReceived, Escalated, RecoveryOffered, FollowedUp)
#: The customer's answers to an offer and its fulfilment: consumers that do not read them skip them.
CUSTOMER_EVENT_CLASSES: tuple[type[Event], ...] = (OfferAccepted, OfferDeclined, OfferFulfilled)
#: Staff case work (on `Escalated`): the lifecycle folds (workers, read model) know these too.
CASEWORK_EVENT_CLASSES: tuple[type[Event], ...] = (CaseAssigned, CustomerReplied, NoteAdded, CaseClosed, CaseReopened)
ALL_EVENT_CLASSES: tuple[type[Event], ...] = (*EVENT_CLASSES, *CUSTOMER_EVENT_CLASSES, *CASEWORK_EVENT_CLASSES)
TOPICS: tuple[str, ...] = tuple(c.topic for c in EVENT_CLASSES)
