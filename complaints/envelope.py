"""CloudEvents 1.0 in Kafka binary mode.

A record's key is the complaint id, its value the event's JSON, and its headers
`ce_id`, `ce_source`, `ce_type`, `ce_specversion`, `ce_time`, `ce_subject`,
`content-type: application/json`, `ce_correlationid` and `ce_causationid`, and, when the
event was made inside a trace, the CloudEvents distributed-tracing extension's
`ce_traceparent` and `ce_tracestate` (W3C Trace Context; optional, so records without them
are as valid as before).

The Kafka binary binding is a direct mapping (each attribute is a `ce_<name>` header,
UTF-8, the time in RFC 3339), so it is written here rather than through the
`cloudevents` SDK's `to_binary`/`from_binary`: building an SDK `CloudEvent` per record
and parsing its data to a dict before pydantic validated it again was ~20 % of every
worker's CPU (bench/RESULTS.md). The payload is validated straight from the record's
bytes with `model_validate_json`. tests/unit/test_contract.py keeps this codec
byte-for-byte in agreement with the SDK, both ways.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from schemas.events import Event
from schemas.registry import MODELS, parse_event

CONTENT_TYPE = "application/json"
SPECVERSION = "1.0"
_REQUIRED = ("id", "source", "type", "specversion", "time")
#: The longest value each attribute may have (characters), checked before anything reads or stores it:
#: the subject is a case id (64 in every store), ids fit the read model's String(200) columns.
HEADER_MAX = {"id": 200, "source": 200, "type": 100, "specversion": 8, "time": 64, "subject": 64,
              "correlationid": 200, "causationid": 200, "traceparent": 64, "tracestate": 512}
#: Any other `ce_` extension attribute.
EXTENSION_MAX = 200


class MalformedEvent(ValueError):
    """The record is not a CloudEvent we can read (missing headers, bad JSON, invalid data)."""


@dataclass(frozen=True, slots=True)
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
    #: W3C Trace Context of the trace this event belongs to (CloudEvents distributed tracing).
    traceparent: str | None = None
    tracestate: str | None = None

    @property
    def complaint_id(self) -> str:
        return self.event.complaint_id


@dataclass(frozen=True, slots=True)
class Record:
    """What a producer sends: topic, key, value and headers."""

    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    event_id: str


def format_time(time: datetime) -> str:
    """RFC 3339 as the SDK writes it: `2026-11-23T12:00:00Z` (UTC as `Z`)."""
    text = time.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def encode(
    event: Event,
    *,
    event_id: str,
    source: str,
    time: datetime | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    traceparent: str | None = None,
    tracestate: str | None = None,
) -> Record:
    """Encode an event as a Kafka record in CloudEvents binary mode."""
    subject = event.complaint_id
    headers = [
        ("ce_id", event_id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", event.event_type().encode()),
        ("ce_specversion", b"1.0"),
        ("ce_time", format_time(time or datetime.now(UTC)).encode()),
        ("ce_subject", subject.encode()),
        ("content-type", b"application/json"),
        ("ce_correlationid", (correlation_id or subject).encode()),
    ]
    if causation_id:
        headers.append(("ce_causationid", causation_id.encode()))
    if traceparent:
        headers.append(("ce_traceparent", traceparent.encode()))
        if tracestate:
            headers.append(("ce_tracestate", tracestate.encode()))
    value = event.model_dump_json(exclude_none=True).encode()
    return Record(event.topic, subject.encode(), value, headers, event_id)


def decode(
    headers: Iterable[tuple[str, bytes | None]] | Mapping[str, bytes], value: bytes | None, key: bytes | None = None,
    models: Mapping[str, type[Event]] = MODELS,
) -> Envelope:
    """Decode a record; raises `UnknownEventType` (skip) or `MalformedEvent` (dead-letter or park).

    The headers are checked first (each within its `HEADER_MAX`, `ce_time` an RFC 3339 time with its
    offset), the payload next, then that the record is about one case: its key (when given), its
    `ce_subject` and the payload's `complaint_id` are the same id.
    `models`: the types this consumer reads (default: the lifecycle's; `ALL_MODELS` adds the customer's answers).
    """
    attrs = _checked(headers)
    time = _time(attrs["time"])
    event_type = attrs["type"]
    event = _event(event_type, value or b"", models)
    subject = event.complaint_id
    if attrs.get("subject", subject) != subject:
        raise MalformedEvent(f"ce_subject {attrs['subject']!r} is not the payload's complaint_id {subject!r}")
    if key is not None and key != subject.encode():
        raise MalformedEvent(f"record key {key[:80]!r} is not the payload's complaint_id {subject!r}")
    return Envelope(
        id=attrs["id"],
        type=event_type,
        source=attrs["source"],
        time=time,
        subject=subject,
        correlation_id=attrs.get("correlationid") or subject,
        causation_id=attrs.get("causationid") or None,
        event=event,
        traceparent=attrs.get("traceparent") or None,
        tracestate=attrs.get("tracestate") or None,
    )


def _checked(headers: Iterable[tuple[str, bytes | None]] | Mapping[str, bytes]) -> dict[str, str]:
    try:
        attrs = _attrs(headers)
    except UnicodeDecodeError as exc:
        raise MalformedEvent(f"not a CloudEvents binary-mode record: header is not UTF-8 ({exc})") from exc
    missing = [name for name in _REQUIRED if not attrs.get(name)]
    if missing:
        raise MalformedEvent(f"not a CloudEvents binary-mode record: missing ce_{', ce_'.join(missing)}")
    for name, text in attrs.items():
        bound = HEADER_MAX.get(name, EXTENSION_MAX)
        if len(text) > bound:
            raise MalformedEvent(f"ce_{name[:40]} is {len(text)} characters long; at most {bound}")
    if attrs["specversion"] != SPECVERSION:
        raise MalformedEvent(f"unsupported CloudEvents specversion {attrs['specversion']!r}")
    return attrs


def _time(text: str) -> datetime:
    try:
        time = datetime.fromisoformat(text)
    except ValueError as exc:
        raise MalformedEvent(f"ce_time is not an RFC 3339 time: {text!r}") from exc
    if time.tzinfo is None or time.utcoffset() is None:
        raise MalformedEvent(f"ce_time {text!r} has no time zone offset (RFC 3339 requires one, e.g. Z)")
    return time


def _attrs(headers: Iterable[tuple[str, bytes | None]] | Mapping[str, bytes]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {k[3:].lower(): v.decode() for k, v in items if v is not None and k[:3].lower() == "ce_"}


def _event(event_type: str, value: bytes, models: Mapping[str, type[Event]]) -> Event:
    model = models.get(event_type)
    try:
        if model is not None:  # a current version: validate straight from the bytes
            return model.model_validate_json(value)
        payload = json.loads(value)
        if not isinstance(payload, dict):
            raise MalformedEvent("event data is not a JSON object")
        return parse_event(event_type, payload, dict(models))  # upcast an old version, or UnknownEventType
    except (ValidationError, ValueError) as exc:
        if isinstance(exc, MalformedEvent):
            raise
        raise MalformedEvent(f"{event_type} payload invalid: {exc}") from exc
