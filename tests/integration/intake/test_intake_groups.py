"""Intake's grouped database work on SQLite and PostgreSQL, with a real broker.

Many requests at once are handled as one group by intake's database thread: one vault
transaction and one store transaction. These tests check that a group gives the same
answers as one request at a time: one customer per person, history counts in order,
idempotency keys (same body: one complaint; different body: 409), erasure.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

from complaints.domain.intake import fingerprint
from complaints.domain.policy import load_policy
from complaints.domain.policy_book import PolicyBook
from complaints.kafka.producer import EventProducer
from complaints.pii import Vault
from complaints.settings import Settings, default_policy_file
from services.intake.api import ComplaintIn, _build
from services.intake.app import create_app
from services.intake.service import Intake, Prepared, Submission
from services.intake.store import IntakeStore
from tests.kafka_helpers import read_topic


@pytest.fixture
def db_settings(settings: Settings, db_url: str) -> Settings:
    return settings.model_copy(update={"database_url": db_url, "vault_url": db_url})


POLICY = load_policy(default_policy_file())


@pytest.fixture
async def intake(db_settings: Settings) -> AsyncIterator[Intake]:
    producer = EventProducer(db_settings)
    await producer.start()
    try:
        yield Intake(producer, IntakeStore(db_settings.database_url), Vault.from_settings(db_settings),
                     "http://intake.test", history_days=365, policies=PolicyBook.of(POLICY))
    finally:
        await producer.stop()


def body(customer: dict[str, str], description: str = "I was charged twice for my order") -> dict[str, Any]:
    return {"channel": "web", "customer": customer, "description": description}


def submission(raw: dict[str, Any], n: int, key: str | None = None) -> Submission:
    parsed = ComplaintIn.model_validate(raw)
    now = datetime.now(UTC)
    c = parsed.customer
    complaint_id = f"c-{n}"
    return Submission(complaint_id=complaint_id,
                      identifiers={"id": c.id, "email": c.email, "phone": c.phone, "handle": c.handle},
                      personal={**c.model_dump(exclude_none=True), "description": parsed.description},
                      received_at=now, build=partial(_build, POLICY, parsed, complaint_id, now),
                      idempotency_key=key,
                      fingerprint=fingerprint(parsed.model_dump(mode="json")) if key else "")


def event_of(result: Any) -> Any:
    assert isinstance(result, Prepared) and result.event is not None, result
    return result.event


async def test_one_group_matches_one_request_at_a_time(intake: Intake) -> None:
    ana, ana_again = {"email": "ana@example.com", "phone": "+1 555 0100"}, {"phone": "+1 555 0100",
                                                                           "email": "ANA@Example.com"}
    stranger = {"email": "ana@example.com", "phone": "+1 999 0000"}  # Ana's email with a phone of their own
    group = [submission(body(ana), 1), submission(body({"email": "bo@example.com"}), 2),
             submission(body(ana_again), 3), submission(body({"email": "cy@example.com"}), 4, key="k-1"),
             submission(body({"email": "cy@example.com"}, "Something else"), 5, key="k-1"),
             submission(body(ana), 6), submission(body(stranger), 10)]
    first, bo, second, cy, cy_again, third, other = intake._handle(list(group))
    assert event_of(first).customer_ref == event_of(second).customer_ref == event_of(third).customer_ref
    assert [event_of(r).prior_complaints for r in (first, second, third)] == [0, 1, 2]
    assert event_of(bo).customer_ref != event_of(first).customer_ref and event_of(bo).prior_complaints == 0
    assert event_of(other).customer_ref != event_of(first).customer_ref and event_of(other).prior_complaints == 0
    # the same key twice in one group: the first claim stands; the second body differs (the API's 409)
    assert cy_again.event is None and cy_again.claim.complaint_id == "c-4" == event_of(cy).complaint_id
    assert cy_again.claim.fingerprint != group[4].fingerprint

    # the next group: known customers are counted in SQL; a claimed key answers from its claim
    later, cy_replay = intake._handle([submission(body(ana), 7), submission(body({"email": "cy@example.com"}),
                                                                                   8, key="k-1")])
    assert event_of(later).customer_ref == event_of(first).customer_ref and event_of(later).prior_complaints == 3
    assert cy_replay.event is None and cy_replay.claim.complaint_id == "c-4"

    # erased: the next complaint is a new customer with no history
    assert intake.vault.erase(event_of(first).customer_ref)
    [after] = intake._handle([submission(body(ana), 9)])
    assert event_of(after).customer_ref != event_of(first).customer_ref and event_of(after).prior_complaints == 0
    assert intake.vault.open(event_of(after).personal, aad="c-9")["email"] == "ana@example.com"


def test_concurrent_requests_grouped_keep_every_guarantee(db_settings: Settings) -> None:
    ana = [body({"email": "ana@example.com"}, f"Late delivery number {n}") for n in range(8)]
    same_key = [(body({"email": "bo@example.com"}), "k-same")] * 4
    clash = [(body({"email": "cy@example.com"}), "k-clash"), (body({"email": "cy@example.com"}, "Other"), "k-clash")]
    requests = [(b, None) for b in ana] + same_key + clash
    with TestClient(create_app(db_settings)) as client, ThreadPoolExecutor(len(requests)) as pool:
        replies = list(pool.map(lambda r: client.post("/complaints", json=r[0],
                                                      headers={"Idempotency-Key": r[1]} if r[1] else {}), requests))
    statuses = [r.status_code for r in replies]
    assert statuses[:12] == [202] * 12, [r.text for r in replies]
    assert sorted(statuses[12:]) == [202, 409]
    assert len({r.json()["complaint_id"] for r in replies[8:12]}) == 1  # one complaint for the repeated key

    records = read_topic(db_settings, "ComplaintReceived")
    events = {r.headers["ce_id"]: json.loads(r.value or b"") for r in records}  # a repeat may be re-sent: same id
    assert len(events) == 8 + 1 + 1
    ana_events = [e for e in events.values() if e["complaint_id"] in {r.json()["complaint_id"] for r in replies[:8]}]
    assert len({e["customer_ref"] for e in ana_events}) == 1
    assert sorted(e["prior_complaints"] for e in ana_events) == list(range(8))
