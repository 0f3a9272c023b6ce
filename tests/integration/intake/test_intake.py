"""Intake against a real broker: what a posted complaint puts on `ComplaintReceived`."""

from __future__ import annotations

import json
from datetime import datetime

from fastapi.testclient import TestClient

from complaints.domain.policy import load_policy
from complaints.pii import Vault
from complaints.settings import Settings
from complaints.topics import topic_name
from services.intake.app import create_app
from tests.conftest import TEST_SECRETS
from tests.kafka_helpers import read_topic

SANDWICH = {
    "channel": "in_person",
    "customer": {"email": "ana@example.com", "name": "Ana Silva", "phone": "+27 21 555 0100"},
    "description": "I got the wrong sandwich, I ordered a vegetarian one.",
    "order_ref": "A-1001",
    "amount_at_stake": {"amount": "8.50", "currency": "USD"},
}


def test_posted_complaint_is_on_the_topic_with_key_headers_and_body(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        reply = client.post("/complaints", json=SANDWICH)
    assert reply.status_code == 202, reply.text
    complaint_id = reply.json()["complaint_id"]
    assert reply.headers["location"].endswith(f"/complaints/{complaint_id}")

    [record] = read_topic(settings, "ComplaintReceived")
    assert record.key == complaint_id.encode()
    assert reply.json()["position"] == f"{record.topic}:{record.partition}:{record.offset}"
    assert record.topic == topic_name(settings, "ComplaintReceived")
    h = record.headers
    assert h["ce_specversion"] == b"1.0"
    assert h["ce_type"] == b"complaints.ComplaintReceived.v3"
    assert h["ce_subject"] == complaint_id.encode()
    assert h["ce_source"] == b"/complaints/intake"
    assert h["content-type"] == b"application/json"
    assert h["ce_correlationid"] == complaint_id.encode()
    assert {"ce_id", "ce_time"} <= set(h)

    body = json.loads(record.value or b"")
    assert body["channel"] == "in_person"
    assert body["category"] == "wrong_order" and body["category_source"] == "classified"
    assert body["severity"] == "low" and body["amount_at_stake"] == {"amount": "8.50", "currency": "USD"}
    assert body["customer_ref"].startswith("cust_")
    policy = load_policy(settings.policy_file)
    assert body["policy_version"] == policy.policy_id  # classified and triaged under this exact policy
    assert body["reasons"][0] == 'Classified as wrong order: the description mentions "wrong sandwich".'
    due = datetime.fromisoformat(body["first_response_due_at"]) - datetime.fromisoformat(body["received_at"])
    assert due == policy.first_response_sla("in_person", "low", False)  # the deadline is a fact on the log


def test_personal_data_never_in_clear_and_erasure_shreds_it(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.post("/complaints", json=SANDWICH).status_code == 202
    [record] = read_topic(settings, "ComplaintReceived")
    raw = (record.value or b"") + b"".join(record.headers.values())
    for secret in (b"ana@example.com", b"Ana Silva", b"555 0100", b"vegetarian"):
        assert secret not in raw

    event = record.envelope().event
    vault = Vault(settings.vault_url, TEST_SECRETS)
    opened = vault.open(event.personal, aad=event.complaint_id)  # type: ignore[attr-defined]
    assert opened["email"] == "ana@example.com" and "vegetarian" in opened["description"]

    assert vault.erase(event.customer_ref)  # type: ignore[attr-defined]
    try:
        vault.open(event.personal, aad=event.complaint_id)  # type: ignore[attr-defined]
        raise AssertionError("erased customer's data could still be read")
    except LookupError:
        pass


def test_idempotency_key_same_body_same_id_nothing_new_different_body_409(settings: Settings) -> None:
    headers = {"Idempotency-Key": "order-A-1001-complaint"}
    with TestClient(create_app(settings)) as client:
        first = client.post("/complaints", json=SANDWICH, headers=headers)
        again = client.post("/complaints", json=SANDWICH, headers=headers)
        other = client.post("/complaints", json={**SANDWICH, "description": "Something else"}, headers=headers)
    # a second intake process (another replica, or after a restart) shares the database
    with TestClient(create_app(settings)) as replica:
        after_restart = replica.post("/complaints", json=SANDWICH, headers=headers)
    assert first.status_code == again.status_code == after_restart.status_code == 202
    assert first.json()["complaint_id"] == again.json()["complaint_id"] == after_restart.json()["complaint_id"]
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["detail"]
    assert len(read_topic(settings, "ComplaintReceived")) == 1


def test_repeat_customer_is_counted_when_the_same_identifiers_come_back(settings: Settings) -> None:
    again = {**SANDWICH, "customer": {"email": "ANA@example.com", "phone": "+27 21 555 0100", "name": "Ana"},
             "description": "Late delivery again"}
    with TestClient(create_app(settings)) as client:
        assert client.post("/complaints", json=SANDWICH).status_code == 202
        assert client.post("/complaints", json=again).status_code == 202
    events = sorted((r.envelope().event for r in read_topic(settings, "ComplaintReceived")),
                    key=lambda e: e.prior_complaints)  # type: ignore[attr-defined]
    assert [e.prior_complaints for e in events] == [0, 1]  # type: ignore[attr-defined]
    assert events[0].customer_ref == events[1].customer_ref  # type: ignore[attr-defined]


def test_someone_elses_email_does_not_attach_a_complaint_to_their_history(settings: Settings) -> None:
    """Mallory knows Ana's email: her complaint gets its own customer, no history, Ana's key untouched."""
    mallory = [{"email": "ana@example.com"}, {"email": "ana@example.com", "phone": "+1 999 0000"},
               {"phone": "+27 21 555 0100"}]
    with TestClient(create_app(settings)) as client:
        assert client.post("/complaints", json=SANDWICH).status_code == 202
        for customer in mallory:
            assert client.post("/complaints", json={**SANDWICH, "customer": customer}).status_code == 202
        assert client.post("/complaints", json=SANDWICH).status_code == 202  # Ana again
    ana, *theirs, ana_again = sorted((r.envelope().event for r in read_topic(settings, "ComplaintReceived")),
                                     key=lambda e: e.received_at)  # type: ignore[attr-defined]
    assert ana_again.customer_ref == ana.customer_ref  # type: ignore[attr-defined]
    assert ana_again.prior_complaints == 1  # type: ignore[attr-defined]
    for event in theirs:
        assert event.customer_ref != ana.customer_ref and event.prior_complaints == 0  # type: ignore[attr-defined]
        assert event.personal.key_ref != ana.customer_ref  # type: ignore[attr-defined]
    assert len({e.customer_ref for e in theirs}) == 3  # type: ignore[attr-defined]


def test_invalid_input_is_422_naming_field_and_reason_and_publishes_nothing(settings: Settings) -> None:
    cases = {
        "customer": {**SANDWICH, "customer": {"name": "No Contact"}},
        "description": {**SANDWICH, "description": "   "},
        "channel": {**SANDWICH, "channel": "carrier_pigeon"},
        "amount_at_stake.amount": {**SANDWICH, "amount_at_stake": {"amount": "-3", "currency": "USD"}},
        "amount_at_stake.amount.": {**SANDWICH, "amount_at_stake": {"amount": "1e200000000", "currency": "USD"}},
        "customer.email": {**SANDWICH, "customer": {"email": "not-an-email"}},
        "customer.id": {**SANDWICH, "customer": {"id": 42}},
        "occurred_at": {**SANDWICH, "occurred_at": 0},
        "public": {**SANDWICH, "public": 1},
        "wants_human": {**SANDWICH, "wants_human": "yes"},
    }
    with TestClient(create_app(settings)) as client:
        for field, body in cases.items():
            reply = client.post("/complaints", json=body)
            assert reply.status_code == 422, (field, reply.text)
            fields = [e["field"] for e in reply.json()["errors"]]
            assert any(f == field.rstrip(".") or f.startswith(field.rstrip(".")) for f in fields), (field, fields)
            assert all(e["reason"] for e in reply.json()["errors"])
    assert read_topic(settings, "ComplaintReceived") == []


def test_health_reports_broker(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        reply = client.get("/health")
    assert reply.status_code == 200 and reply.json()["broker"] is True
