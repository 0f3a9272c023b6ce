"""CloudEvents 1.0 in Kafka binary mode, via the `cloudevents` SDK.

A record's key is the complaint id, its value the event's JSON, and its headers
`ce_specversion`, `ce_id`, `ce_source`, `ce_type`, `ce_time`, `ce_subject`,
`ce_correlationid`, `ce_causationid` and `content-type: application/json`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from cloudevents.core.bindings.kafka import KafkaMessage, from_binary, to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from schemas.events import Event
from schemas.registry import parse_event

_FORMAT = JSONFormat()
CONTENT_TYPE = "application/json"


class MalformedEvent(ValueError):
    """The record is not a CloudEvent we can read (missing headers, bad JSON, invalid data)."""


@dataclass(frozen=True)
class Envelope:
    """A decoded record: CloudEvents attributes plus the typed event."""

    id: str
    type: str
    source: str
    time: datetime
    subject: str
    correlation_id: str
    causation_id: str | None
    event: Event

    @property
    def complaint_id(self) -> str:
        return self.event.complaint_id


@dataclass(frozen=True)
class Record:
    """What a producer sends: topic, key, value and headers."""

    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    event_id: str


def encode(
    event: Event,
    *,
    event_id: str,
    source: str,
    time: datetime | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> Record:
    """Encode an event as a Kafka record in CloudEvents binary mode."""
    attributes: dict[str, object] = {
        "id": event_id,
        "source": source,
        "type": event.event_type(),
        "specversion": "1.0",
        "time": time or datetime.now(UTC),
        "subject": event.complaint_id,
        "datacontenttype": CONTENT_TYPE,
        "correlationid": correlation_id or event.complaint_id,
    }
    if causation_id:
        attributes["causationid"] = causation_id
    data = event.model_dump_json(exclude_none=True).encode()
    message = to_binary(CloudEvent(attributes, data), _FORMAT, key_mapper=lambda _: event.complaint_id)
    key = message.key.encode() if isinstance(message.key, str) else (message.key or b"")
    return Record(event.topic, key, message.value, list(message.headers.items()), event_id)


def header_map(headers: Iterable[tuple[str, bytes | None]] | Mapping[str, bytes]) -> dict[str, bytes]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {k: v for k, v in items if v is not None}


def attributes(headers: Iterable[tuple[str, bytes | None]] | Mapping[str, bytes]) -> dict[str, str]:
    """The `ce_*` headers as a dict without the prefix (no validation)."""
    return {k[3:]: v.decode(errors="replace") for k, v in header_map(headers).items() if k.startswith("ce_")}


def decode(
    headers: Iterable[tuple[str, bytes | None]] | Mapping[str, bytes], value: bytes | None, key: bytes | None = None
) -> Envelope:
    """Decode a record; raises `UnknownEventType` (skip) or `MalformedEvent` (dead-letter)."""
    hmap = header_map(headers)
    try:
        ce = from_binary(KafkaMessage(hmap, key, value or b""), _FORMAT, CloudEvent)
        data = ce.get_data()
        payload = json.loads(data) if isinstance(data, (bytes, str)) else data
        if not isinstance(payload, dict):
            raise MalformedEvent("event data is not a JSON object")
        attrs = ce.get_attributes()
    except MalformedEvent:
        raise
    except Exception as exc:  # the SDK raises several unrelated types
        raise MalformedEvent(f"not a CloudEvents binary-mode record: {exc}") from exc
    event_type = str(attrs.get("type", ""))
    try:
        event = parse_event(event_type, payload)
    except LookupError:
        raise
    except ValueError as exc:
        raise MalformedEvent(f"{event_type} payload invalid: {exc}") from exc
    time = attrs.get("time")
    return Envelope(
        id=str(attrs["id"]),
        type=event_type,
        source=str(attrs["source"]),
        time=time if isinstance(time, datetime) else datetime.now(UTC),
        subject=str(attrs.get("subject") or event.complaint_id),
        correlation_id=str(attrs.get("correlationid") or event.complaint_id),
        causation_id=str(attrs["causationid"]) if attrs.get("causationid") else None,
        event=event,
    )
