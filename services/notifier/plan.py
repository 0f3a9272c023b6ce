"""The notifier's pure core: which messages an event causes, and whether one is still wanted.

Each message has a cause id (the event's id; for the follow-up request, the offer's follow-up
moment) and a channel: `(cause, channel)` is claimed once in the deliveries table, so each is
sent at most once per channel however often the event is delivered (docs/notifications.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from complaints.domain import lifecycle
from complaints.domain.policy import Policy
from complaints.ids import deterministic_id
from schemas.common import Sealed
from schemas.events import CaseClosed, ComplaintReceived, CustomerReplied, Event, FollowedUp, RecoveryOffered
from services.notifier.case import CustomerCase

Kind = Literal["received", "offer", "follow_up", "closed", "reply", "event"]
EMAIL = "email"


@dataclass(frozen=True)
class Planned:
    """One message to deliver: what, to which channel, from which cause, not before `due_at`."""

    kind: Kind
    channel: str
    cause_id: str
    complaint_id: str
    due_at: datetime
    offer_id: str | None = None
    payload: str | None = None  # webhooks: the body to sign and post (no personal data)

    @property
    def delivery_id(self) -> str:
        """Deterministic: also the email's Message-ID and the webhook's `webhook-id`."""
        return delivery_id(self.cause_id, self.channel)


def delivery_id(cause_id: str, channel: str) -> str:
    return deterministic_id("delivery", cause_id, channel)


def follow_up_cause(offer_id: str) -> str:
    """The id of "the follow-up of this offer is due": the cause of the follow-up request."""
    return deterministic_id("FollowUpDue", offer_id)


def news(event_time: datetime, now: datetime, max_age: timedelta) -> bool:
    """Is the event recent enough to tell anyone about? (Older ones are history: folded, not sent.)"""
    return now - event_time <= max_age


def emails_for(event: Event, event_id: str, at: datetime) -> list[Planned]:
    """The customer's emails an event causes: received, the offer (+ its follow-up request later), closed, a
    staff reply (its text opened from the vault at send time); a staff closure as abuse tells nobody."""
    cid = event.complaint_id
    if isinstance(event, ComplaintReceived):
        return [Planned("received", EMAIL, event_id, cid, at)]
    if isinstance(event, RecoveryOffered):
        return [Planned("offer", EMAIL, event_id, cid, at, event.offer_id),
                Planned("follow_up", EMAIL, follow_up_cause(event.offer_id), cid, event.follow_up_at, event.offer_id)]
    if isinstance(event, FollowedUp) and event.outcome != "unsatisfied":  # unsatisfied: a new offer follows
        return [Planned("closed", EMAIL, event_id, cid, at, event.offer_id)]
    if isinstance(event, CustomerReplied):
        return [Planned("reply", EMAIL, event_id, cid, at)]
    if isinstance(event, CaseClosed) and event.reason != "abuse":
        return [Planned("closed", EMAIL, event_id, cid, at)]
    return []


def webhooks_for(event: Event, event_id: str, event_type: str, at: datetime, endpoints: list[str]) -> list[Planned]:
    """One delivery of the event to each configured endpoint; sealed fields are left out."""
    data = {k: v for k, v in event.model_dump(mode="json").items()
            if not isinstance(getattr(event, k, None), Sealed)}
    body = json.dumps({"type": event_type, "timestamp": at.isoformat(), "data": data}, separators=(",", ":"),
                      sort_keys=True)
    return [Planned("event", f"webhook:{name}", event_id, event.complaint_id, at, payload=body) for name in endpoints]


def still_wanted(case: CustomerCase | None, kind: Kind, offer_id: str | None) -> str | None:
    """None when the message should go now; else why it is no longer wanted (said in the deliveries list)."""
    if kind not in ("offer", "follow_up"):
        return None
    state = case.state if case else None
    if state is None or state.closed:
        return "the case is closed"
    open_offer = state.offer_awaiting_answer
    if open_offer is None or open_offer.offer_id != offer_id:
        return "the offer was answered or replaced"
    if kind == "follow_up" and case is not None and case.answers.get(offer_id or "") == "declined":
        return "the customer declined the offer"
    return None


def first_response_within(case: CustomerCase, policy: Policy) -> tuple[timedelta, datetime] | None:
    """How long until the first response, and by when, per the policy's first-response SLA."""
    facts = case.state.facts if case.state else None
    if facts is None:
        return None
    due = lifecycle.first_response_due(facts.received_at, facts.channel, facts.severity, facts.public,
                                       policy.first_response_sla)
    return due - facts.received_at, due


def in_words(span: timedelta) -> str:
    """`timedelta(hours=1)` -> "1 hour", plain words for an email."""
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size * (2 if unit == "day" else 1):
            count = round(seconds / size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
