"""A worker's /metrics tells processed, duplicate, dead-lettered and unknown events apart, by type,
and counts the decisions it saved (a real worker process on the broker)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from complaints.domain.intake import received_event_id
from complaints.envelope import Record, encode
from complaints.settings import Settings
from complaints.topics import topic_name
from schemas import Money, Sealed
from schemas.events import ComplaintReceived
from tests.kafka_helpers import read_topic
from tests.stack import Stack


def complaint(n: int) -> ComplaintReceived:
    return ComplaintReceived(
        complaint_id=f"m-{n}", channel="in_person", customer_ref=f"cust_{n}",
        personal=Sealed(key_ref=f"cust_{n}", nonce="bm9uY2U=", ciphertext="Y2lwaGVy"),
        category="wrong_order", category_source="customer", severity="low", severity_source="customer",
        amount_at_stake=Money(amount=Decimal("8.50"), currency="USD"), received_at=datetime.now(UTC),
        prior_complaints=0)


def send(settings: Settings, records: list[Record]) -> None:
    async def go() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, linger_ms=5)
        await producer.start()
        try:
            for r in records:
                await producer.send(topic_name(settings, r.topic), r.value, key=r.key, headers=r.headers)
            await producer.flush()
        finally:
            await producer.stop()

    asyncio.run(go())


def counts(url: str) -> dict[tuple[str, ...], float]:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    out: dict[tuple[str, ...], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "complaints_worker_events_total":
                out[("events", s.labels["event_type"], s.labels["outcome"])] = s.value
            elif s.name == "complaints_decisions_total":
                out[("decisions", s.labels["decision"], s.labels["reason"], s.labels["level"])] = s.value
    return out


def test_outcomes_by_event_type_and_decisions_on_a_real_worker(settings: Settings, tmp_path: Path) -> None:
    stack = Stack(settings, tmp_path).start("recovery")
    try:
        events = [encode(c, event_id=received_event_id(c.complaint_id), source="/test", time=c.received_at)
                  for c in (complaint(1), complaint(2))]
        broken = Record("Escalated", b"m-1", b"{not json", [(k, v) for k, v in encode(
            complaint(3), event_id="x-3", source="/test").headers if k != "ce_type"] + [
            ("ce_type", b"complaints.Escalated.v1")], "x-3")
        future = Record("Escalated", b"m-2", b"{}", [(k, b"complaints.Escalated.v9" if k == "ce_type" else v)
                                                      for k, v in events[1].headers], "x-4")
        send(settings, [*events, broken, future])
        deadline = time.monotonic() + 30
        seen: dict[tuple[str, ...], float] = {}
        while time.monotonic() < deadline:
            seen = counts(stack["recovery"].url)
            if seen.get(("events", "RecoveryOffered", "duplicate")) == 2:  # its own offers came back
                break
            time.sleep(0.3)
        send(settings, events)  # redelivered: nothing changes, counted as duplicates
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and seen.get(("events", "ComplaintReceived", "duplicate")) != 2:
            time.sleep(0.3)
            seen = counts(stack["recovery"].url)
    finally:
        stack.stop()
    assert seen[("events", "ComplaintReceived", "processed")] == 2
    assert seen[("events", "ComplaintReceived", "duplicate")] == 2
    # the poison record, and a version (v9) of a type this worker must understand but cannot read: both parked
    assert seen[("events", "Escalated", "dead_lettered")] == 2
    assert seen[("decisions", "RecoveryOffered", "policy", "front_line")] == 2
    assert not [k for k in seen if "m-1" in k or "cust_1" in k]
    offers = read_topic(settings, "RecoveryOffered", idle=0.3)
    assert len(offers) == 2 and not [o for o in offers if "ce_traceparent" in o.headers]  # no tracing by default
