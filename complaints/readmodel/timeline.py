"""Timeline entries: each event's essentials and a one-line summary, never personal data."""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json, to_jsonable_python

from complaints.envelope import Envelope
from complaints.readmodel.model import TimelineEntry, utc
from complaints.readmodel.order import event_episode, type_name
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
    OfferAccepted,
    OfferDeclined,
    OfferFulfilled,
    RecoveryOffered,
)

#: Fields of each event shown in the timeline; sealed blobs (`personal`, `comment`) never are.
ESSENTIAL_FIELDS: dict[str, set[str]] = {
    "ComplaintReceived": {"channel", "customer_ref", "category", "category_source", "severity", "severity_source",
                          "public", "wants_human", "order_ref", "amount_at_stake", "occurred_at", "received_at",
                          "prior_complaints", "policy_version", "reasons", "first_response_due_at"},
    "Escalated": {"level", "department", "from_level", "reason", "reasons", "sla_due_at", "episode",
                  "policy_version", "requested_by"},
    "RecoveryOffered": {"offer_id", "supersedes", "total", "level", "department", "offered_by", "follow_up_at",
                        "respond_by", "episode", "policy_version"},
    "FollowedUp": {"offer_id", "outcome", "satisfied", "csat", "episode", "policy_version", "recorded_by",
                   "reasons"},
    # staff case work: who, when, what — never the sealed `message` / `text`
    "CaseAssigned": {"episode", "at", "assignee", "assigned_by"},
    "CustomerReplied": {"episode", "at", "level", "replied_by"},
    "NoteAdded": {"episode", "at", "added_by"},
    "CaseClosed": {"episode", "at", "reason", "duplicate_of", "withdrawn_offer", "closed_by", "reasons"},
    "CaseReopened": {"episode", "at", "reason", "level", "first_response_due_at", "reopened_by", "policy_version"},
    # The customer's answers and the fulfilment (on the RecoveryOffered topic; the entry's type is the topic).
    "OfferAccepted": {"offer_id", "episode", "recorded_by"},
    "OfferDeclined": {"offer_id", "episode", "recorded_by"},
    "OfferFulfilled": {"offer_id", "episode", "amount", "fulfilled_by"},
}


def essentials(event: Event) -> dict[str, Any]:
    out = event.model_dump(mode="json", include=ESSENTIAL_FIELDS[type_name(event)], exclude_none=True)
    if isinstance(event, RecoveryOffered):
        out["remedies"] = [r.type for r in event.remedies]
    if isinstance(event, FollowedUp):
        out["has_comment"] = event.comment is not None
    return out


def summary(event: Event) -> str:
    if isinstance(event, ComplaintReceived):
        public = ", public" if event.public else ""
        return f"received via {event.channel}: {event.category}, {event.severity} severity{public}"
    if isinstance(event, Escalated):
        dept = f" ({event.department})" if event.department else ""
        return f"escalated {event.from_level} → {event.level}{dept}: {event.reason}"
    if isinstance(event, RecoveryOffered):
        kinds = ", ".join(r.type for r in event.remedies)
        return f"offered {kinds} worth {event.total.amount} {event.total.currency} ({event.level})"
    if isinstance(event, FollowedUp):
        csat = f", CSAT {event.csat}" if event.csat is not None else ""
        return f"followed up: {event.outcome}{csat}"
    if isinstance(event, OfferAccepted | OfferDeclined):
        verb = "accepted" if isinstance(event, OfferAccepted) else "declined"
        return f"offer {event.offer_id} {verb} ({event.recorded_by})"
    if isinstance(event, OfferFulfilled):
        return f"offer {event.offer_id} fulfilled: {event.amount.amount} {event.amount.currency}"
    return _case_work_summary(event)


def _case_work_summary(event: Event) -> str:
    if isinstance(event, CaseAssigned):
        who = event.assignee
        return f"taken by {who}" if who == event.assigned_by else (
            f"assigned to {who} by {event.assigned_by}" if who else f"released to the queue by {event.assigned_by}")
    if isinstance(event, CustomerReplied):
        return f"replied to the customer by {event.replied_by} ({event.level})"
    if isinstance(event, NoteAdded):
        return f"internal note by {event.added_by}"
    if isinstance(event, CaseClosed):
        dup = f" of {event.duplicate_of}" if event.duplicate_of else ""
        withdrawn = ", open offer withdrawn" if event.withdrawn_offer else ""
        return f"closed by {event.closed_by}: {event.reason}{dup}{withdrawn}"
    if isinstance(event, CaseReopened):
        return f"reopened by {event.reopened_by} (episode {event.episode}): first response owed again"
    return event.event_type()  # pragma: no cover


def entry_doc(env: Envelope, position: str, episode: int) -> dict[str, Any]:
    """The timeline entry as JSON values: exactly `TimelineEntry.model_dump(mode="json")`."""
    return {
        "id": env.id, "type": type_name(env.event), "ce_type": env.type, "time": to_jsonable_python(utc(env.time)),
        "position": position, "episode": episode, "summary": summary(env.event), "essentials": essentials(env.event),
        "source": env.source, "correlation_id": env.correlation_id, "causation_id": env.causation_id,
    }


def entry_for(env: Envelope, position: str, episode: int) -> TimelineEntry:
    return TimelineEntry.model_validate(entry_doc(env, position, episode))


def entry_json(env: Envelope, position: str) -> str:
    """The timeline entry as JSON text (what the timeline table stores)."""
    return to_json(entry_doc(env, position, max(event_episode(env.event), 1))).decode()
