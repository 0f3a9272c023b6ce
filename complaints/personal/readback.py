"""Read a case's sealed personal data back from the log and open it with the vault.

The read model never copies sealed blobs; it keeps each event's log position. The records at
those positions (the case's `ComplaintReceived`, its `FollowedUp`s with a comment, the replies staff
sent and the internal notes) are fetched
from the broker one by one and opened with the customer's vault key — which erasure deletes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from pydantic import BaseModel, Field

from complaints.envelope import decode
from complaints.kafka.producer import Position
from complaints.pii import Vault
from complaints.settings import Settings
from complaints.topics import admin_kwargs
from schemas.common import Sealed
from schemas.events import ComplaintReceived, CustomerReplied, Event, FollowedUp, NoteAdded

#: Timeline types whose record always holds sealed text (a `FollowedUp` only when it has a comment).
SEALED_TYPES = ("ComplaintReceived", "CustomerReplied", "NoteAdded")


class RecordMissing(LookupError):
    """A position of the case's timeline could not be read back from the broker."""


class Comment(BaseModel):
    offer_id: str
    episode: int
    recorded_by: str | None
    comment: str


class Reply(BaseModel):
    episode: int
    by: str
    at: datetime
    message: str


class Note(BaseModel):
    episode: int
    by: str
    at: datetime
    text: str


class PersonalData(BaseModel):
    complaint_id: str
    customer_ref: str
    contact: dict[str, str] = Field(description="How to reach the customer: email, phone, name, id, handle (as given).")
    description: str = Field(description="What the customer wrote at intake.")
    comments: list[Comment] = Field(description="The customer's follow-up comments, oldest first.")
    replies: list[Reply] = Field(default=[], description="What staff wrote to the customer, oldest first.")
    notes: list[Note] = Field(default=[], description="Internal notes on the case, oldest first.")


def fetch_events(settings: Settings, positions: Sequence[Position], timeout_s: float = 10.0) -> list[Event]:
    """The events at these log positions, in the given order; RecordMissing if one cannot be read."""
    kwargs = admin_kwargs(settings)
    kwargs.pop("request_timeout_ms", None)
    consumer = KafkaConsumer(**kwargs, enable_auto_commit=False, fetch_max_wait_ms=100, group_id=None)
    try:
        return [_one(consumer, p, timeout_s) for p in positions]
    finally:
        consumer.close()


def _one(consumer: KafkaConsumer, position: Position, timeout_s: float) -> Event:
    tp = TopicPartition(position.topic, position.partition)
    consumer.assign([tp])
    consumer.seek(tp, position.offset)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for message in consumer.poll(timeout_ms=200).get(tp, []):
            if message.offset == position.offset:
                return decode(message.headers, message.value, message.key).event
            if message.offset > position.offset:
                raise RecordMissing(f"no record at {position}")
    raise RecordMissing(f"no record at {position} within {timeout_s:.0f} s")


def open_personal(vault: Vault, complaint_id: str, events: Sequence[Event]) -> PersonalData:
    """Open the sealed fields (KeyErased when the customer was erased)."""
    received = next((e for e in events if isinstance(e, ComplaintReceived)), None)
    if received is None:
        raise RecordMissing(f"the ComplaintReceived of {complaint_id} is not among the records read")
    personal: dict[str, Any] = vault.open(received.personal, aad=complaint_id)
    comments = [Comment(offer_id=e.offer_id, episode=e.episode, recorded_by=e.recorded_by,
                        comment=str(_open(vault, e.comment, complaint_id).get("comment", "")))
                for e in events if isinstance(e, FollowedUp) and e.comment is not None]
    replies = sorted((Reply(episode=e.episode, by=e.replied_by, at=e.at,
                            message=str(_open(vault, e.message, complaint_id).get("message", "")))
                      for e in events if isinstance(e, CustomerReplied)), key=lambda r: r.at)
    notes = sorted((Note(episode=e.episode, by=e.added_by, at=e.at,
                         text=str(_open(vault, e.text, complaint_id).get("text", "")))
                    for e in events if isinstance(e, NoteAdded)), key=lambda n: n.at)
    description = str(personal.pop("description", ""))
    return PersonalData(complaint_id=complaint_id, customer_ref=received.customer_ref,
                        contact={k: str(v) for k, v in sorted(personal.items())}, description=description,
                        comments=comments, replies=replies, notes=notes)


def _open(vault: Vault, sealed: Sealed | None, aad: str) -> dict[str, Any]:
    return vault.open(sealed, aad=aad) if sealed is not None else {}
