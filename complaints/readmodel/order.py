"""The canonical order of a case's events, the one order every fold and every timeline uses.

Events of one case travel on four topics, so they may arrive in any cross-topic order; a
case is the fold of its events sorted by (episode, time, type rank, event id). The received
event is episode 0, so it sorts first whatever the clocks say. Pure, no I/O.
"""

from __future__ import annotations

from datetime import datetime

from complaints.envelope import Envelope
from complaints.readmodel.model import SortKey, TimelineEntry, utc
from schemas.events import ComplaintReceived, Event

#: Within one episode and instant: received, escalated, offered, followed up, then staff case work.
RANK: dict[str, int] = {"ComplaintReceived": 0, "Escalated": 1, "RecoveryOffered": 2, "FollowedUp": 3,
                        "CaseAssigned": 4, "CustomerReplied": 4, "NoteAdded": 4, "CaseClosed": 4, "CaseReopened": 4,
                        # the customer's answers and fulfilments, on RecoveryOffered: ranked as their topic
                        "OfferAccepted": 2, "OfferDeclined": 2, "OfferFulfilled": 2}


def type_name(event: Event) -> str:
    """The event's name: its topic's, or its own when several types share a topic (`CaseClosed` on `Escalated`)."""
    return type(event).name or event.topic


def event_episode(event: Event) -> int:
    return 0 if isinstance(event, ComplaintReceived) else int(getattr(event, "episode", 1))


def canonical_key(episode: int, time: datetime, event_type: str, event_id: str) -> SortKey:
    """The position of an event in its case's canonical order."""
    return (episode, time, RANK[event_type], event_id)


def sort_key(env: Envelope) -> SortKey:
    return canonical_key(event_episode(env.event), utc(env.time), type_name(env.event), env.id)


def entry_key(entry: TimelineEntry) -> SortKey:
    """The same order for timeline entries (an entry's episode is at least 1; the received one sorts as 0)."""
    return canonical_key(0 if entry.type == "ComplaintReceived" else entry.episode, entry.time, entry.type, entry.id)
