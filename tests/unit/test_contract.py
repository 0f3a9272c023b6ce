"""The published event contract: versioned types, frozen models, exported schemas up to date."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary, to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from pydantic import ValidationError

from complaints.envelope import MalformedEvent, decode, encode
from complaints.ids import deterministic_id
from schemas import EVENT_CLASSES, Escalated, Money
from schemas.events import ALL_EVENT_CLASSES, CUSTOMER_EVENT_CLASSES, TOPICS, OfferAccepted
from schemas.export import JSON_DIR, render, schema_filename
from schemas.registry import ALL_MODELS, UPCASTERS, UnknownEventType, parse_event, register_upcaster

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def escalated(**overrides: object) -> Escalated:
    fields: dict[str, object] = dict(
        complaint_id="c-1", level="supervisor", from_level="front_line", reason="triage",
        reasons=("social and public",), sla_due_at=NOW, episode=1, policy_version="2026-11-01")
    return Escalated.model_validate({**fields, **overrides})


def test_every_event_type_is_versioned_and_named_after_its_topic() -> None:
    assert [c.event_type() for c in EVENT_CLASSES] == [
        "complaints.ComplaintReceived.v3", "complaints.Escalated.v1",
        "complaints.RecoveryOffered.v1", "complaints.FollowedUp.v2"]


def test_the_customer_answers_are_their_own_types_on_the_offer_topic() -> None:
    assert [(c.event_type(), c.topic) for c in CUSTOMER_EVENT_CLASSES] == [
        ("complaints.OfferAccepted.v1", "RecoveryOffered"), ("complaints.OfferDeclined.v1", "RecoveryOffered"),
        ("complaints.OfferFulfilled.v1", "RecoveryOffered")]
    assert TOPICS == ("ComplaintReceived", "Escalated", "RecoveryOffered", "FollowedUp")  # no new topic


def test_lifecycle_consumers_skip_the_customer_answers_and_the_notifier_reads_them() -> None:
    record = encode(OfferAccepted(complaint_id="c-1", offer_id="o-1", episode=1, recorded_by="customer"),
                    event_id="e-9", source="/complaints/notifier", time=NOW)
    with pytest.raises(UnknownEventType):
        decode(record.headers, record.value)
    assert decode(record.headers, record.value, models=ALL_MODELS).event == OfferAccepted(
        complaint_id="c-1", offer_id="o-1", episode=1, recorded_by="customer")


@pytest.mark.parametrize("cls", ALL_EVENT_CLASSES, ids=lambda c: c.__name__)
def test_exported_json_schema_is_up_to_date(cls: type) -> None:
    path = JSON_DIR / schema_filename(cls)  # type: ignore[arg-type]
    assert path.read_text() == render(cls), "run `complaints export-schemas` and commit the result"  # type: ignore[arg-type]


def test_events_are_frozen_and_reject_unknown_fields() -> None:
    event = escalated()
    with pytest.raises(ValidationError):
        event.level = "manager"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        escalated(surprise=True)


def test_money_is_a_decimal_string_on_the_wire_and_never_negative() -> None:
    assert Money(amount=Decimal("12.50"), currency="USD").model_dump(mode="json") == {
        "amount": "12.50", "currency": "USD"}
    with pytest.raises(ValidationError):
        Money(amount=Decimal("-1"), currency="USD")


def test_envelope_round_trip_in_cloudevents_binary_mode() -> None:
    record = encode(escalated(), event_id="e-1", source="/complaints/escalation", time=NOW, causation_id="r-1")
    headers = dict(record.headers)
    assert record.topic == "Escalated" and record.key == b"c-1"
    assert headers["ce_specversion"] == b"1.0" and headers["ce_subject"] == b"c-1"
    assert headers["ce_time"] == b"2026-11-23T12:00:00Z"
    assert headers["content-type"] == b"application/json"
    env = decode(record.headers, record.value, record.key)
    assert (env.id, env.causation_id, env.correlation_id, env.time) == ("e-1", "r-1", "c-1", NOW)
    assert env.event == escalated()


def test_encoded_records_read_back_identically_through_the_cloudevents_sdk() -> None:
    """Subscribers using the official SDK see exactly the attributes and data we meant."""
    record = encode(escalated(), event_id="e-1", source="/complaints/escalation", time=NOW, causation_id="r-1")
    ce = from_binary(KafkaMessage(dict(record.headers), record.key, record.value), JSONFormat(), CloudEvent)
    assert ce.get_attributes() == {
        "id": "e-1", "source": "/complaints/escalation", "type": "complaints.Escalated.v1",
        "specversion": "1.0", "time": NOW, "subject": "c-1", "datacontenttype": "application/json",
        "correlationid": "c-1", "causationid": "r-1", "partitionkey": "c-1"}
    assert ce.get_data() == escalated().model_dump(mode="json", exclude_none=True)


def test_records_written_by_the_cloudevents_sdk_decode_like_ours() -> None:
    ours = encode(escalated(), event_id="e-1", source="/x", time=NOW, causation_id="r-1")
    attributes = {"id": "e-1", "source": "/x", "type": "complaints.Escalated.v1", "specversion": "1.0",
                  "time": NOW, "subject": "c-1", "datacontenttype": "application/json",
                  "correlationid": "c-1", "causationid": "r-1"}
    sdk = to_binary(CloudEvent(attributes, ours.value), JSONFormat(), key_mapper=lambda _: "c-1")
    assert sorted(sdk.headers.items()) == sorted(ours.headers)
    assert decode(sdk.headers, sdk.value, b"c-1") == decode(ours.headers, ours.value, ours.key)


def test_decode_tells_unknown_from_malformed() -> None:
    record = encode(escalated(), event_id="e-1", source="/x")
    future = [(k, b"complaints.Escalated.v9" if k == "ce_type" else v) for k, v in record.headers]
    with pytest.raises(UnknownEventType):
        decode(future, record.value)
    with pytest.raises(MalformedEvent):
        decode(record.headers, b"not json")
    with pytest.raises(MalformedEvent):
        decode([], record.value)
    with pytest.raises(MalformedEvent):
        decode(record.headers, b'{"complaint_id": "c-1"}')
    with pytest.raises(MalformedEvent, match="specversion"):
        decode([(k, b"0.3" if k == "ce_specversion" else v) for k, v in record.headers], record.value)
    with pytest.raises(MalformedEvent, match="ce_time"):
        decode([(k, b"yesterday" if k == "ce_time" else v) for k, v in record.headers], record.value)
    with pytest.raises(MalformedEvent, match="ce_source"):
        decode([(k, v) for k, v in record.headers if k != "ce_source"], record.value)


def test_upcasters_turn_old_payloads_into_current_models() -> None:
    @register_upcaster("complaints.Escalated.v0", "complaints.Escalated.v1")
    def v0_to_v1(payload: dict[str, object]) -> dict[str, object]:
        payload["reasons"] = [payload.pop("reason_text")]
        payload.setdefault("episode", 1)
        return payload

    try:
        old = escalated().model_dump(mode="json", exclude={"reasons", "episode"}) | {"reason_text": "old"}
        assert parse_event("complaints.Escalated.v0", old) == escalated(reasons=("old",))
    finally:
        UPCASTERS.pop("complaints.Escalated.v0")


def test_deterministic_ids_depend_only_on_the_cause() -> None:
    assert deterministic_id("Escalated", "e-1") == deterministic_id("Escalated", "e-1")
    assert deterministic_id("Escalated", "e-1") != deterministic_id("Escalated", "e-2")
