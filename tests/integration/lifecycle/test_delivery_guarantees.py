"""Delivery guarantees of the workers: crash, rebalance, redelivery and poison records."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from complaints.domain.intake import received_event_id
from complaints.envelope import encode
from complaints.settings import Settings
from complaints.topics import topic_name
from schemas import Money, Sealed
from schemas.events import ComplaintReceived
from tests.kafka_helpers import read_topic
from tests.stack import Stack


def complaint(n: int, batch: str) -> ComplaintReceived:
    return ComplaintReceived(
        complaint_id=f"{batch}-{n:05d}", channel="in_person", customer_ref=f"cust_{n}",
        personal=Sealed(key_ref=f"cust_{n}", nonce="bm9uY2U=", ciphertext="Y2lwaGVy"),
        category="wrong_order", category_source="customer", severity="low", severity_source="customer",
        amount_at_stake=Money(amount=Decimal("8.50"), currency="USD"),
        received_at=datetime.now(UTC), prior_complaints=0)


def publish(settings: Settings, events: list[ComplaintReceived], extra: list[tuple[str, bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    async def go() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, linger_ms=5)
        await producer.start()
        try:
            for e in events:
                r = encode(e, event_id=received_event_id(e.complaint_id), source="/test", time=e.received_at)
                await producer.send(topic_name(settings, r.topic), r.value, key=r.key, headers=r.headers)
            for topic, key, value in extra:
                await producer.send(topic_name(settings, topic), value, key=key, headers=[("ce_type", b"nonsense")])
            await producer.flush()
        finally:
            await producer.stop()

    asyncio.run(go())


def offers_by_case(settings: Settings) -> dict[str, set[str]]:
    """Distinct RecoveryOffered ids per complaint (a re-published duplicate has the same id)."""
    out: dict[str, set[str]] = defaultdict(set)
    for rec in read_topic(settings, "RecoveryOffered", idle=0.3):
        env = rec.envelope()
        out[env.complaint_id].add(env.id)
    return out


def wait_offers(settings: Settings, ids: set[str], timeout: float = 60) -> dict[str, set[str]]:
    deadline = time.monotonic() + timeout
    offers: dict[str, set[str]] = {}
    while time.monotonic() < deadline:
        offers = offers_by_case(settings)
        if ids <= set(offers):
            return offers
        time.sleep(0.5)
    raise AssertionError(f"{len(ids - set(offers))} of {len(ids)} cases never got an offer")


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def test_sigkill_mid_stream_neither_loses_nor_duplicates_an_outcome(settings: Settings, tmp_path: Path) -> None:
    stack = Stack(settings, tmp_path).start("recovery")
    try:
        events = [complaint(n, "kill") for n in range(3000)]
        publish(settings, events)
        deadline = time.monotonic() + 30
        while stack["recovery"].stats()["processed"] < 200 and time.monotonic() < deadline:  # type: ignore[operator]
            time.sleep(0.01)
        stack["recovery"].stop(signal.SIGKILL)
        done_before_kill = len(offers_by_case(settings))
        assert 0 < done_before_kill < len(events), "kill did not land mid-stream"
        stack["recovery"].start().wait_ready()
        offers = wait_offers(settings, {e.complaint_id for e in events})
    finally:
        stack.stop()
    assert all(len(ids) == 1 for ids in offers.values()), "a case got two different offers"
    assert len(offers) == len(events)


def test_two_workers_share_partitions_and_hand_over_on_stop(settings: Settings, tmp_path: Path) -> None:
    stack = Stack(settings, tmp_path)
    env_stack = stack.start("recovery")
    first = env_stack["recovery"]
    second = type(first)("recovery", first.port + 0, first.env, tmp_path / "recovery-2.log")
    from complaints.broker.embedded import free_port

    second.port = free_port()
    second.start().wait_ready()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            a, b = set(first.stats()["owned_partitions"]), set(second.stats()["owned_partitions"])  # type: ignore[call-overload]
            if a and b:
                break
            time.sleep(0.3)
        assert a and b and not (a & b) and a | b == set(range(settings.partitions)), (a, b)

        batch1 = [complaint(n, "share") for n in range(200)]
        publish(settings, batch1)
        wait_offers(settings, {e.complaint_id for e in batch1})

        first.stop()  # graceful: its partitions go to the survivor
        deadline = time.monotonic() + 60
        while set(second.stats()["owned_partitions"]) != set(range(settings.partitions)):  # type: ignore[call-overload]
            assert time.monotonic() < deadline, ("the survivor never took the partitions over", second.stats(),
                                                 tail(tmp_path / "recovery-2.log"))
            time.sleep(0.3)
        batch2 = [complaint(n, "handover") for n in range(200)]
        publish(settings, batch2)
        try:
            offers = wait_offers(settings, {e.complaint_id for e in batch1 + batch2})
        except AssertionError as exc:
            raise AssertionError(exc, second.stats(), tail(tmp_path / "recovery-2.log")) from None
    finally:
        second.stop()
        stack.stop()
    assert all(len(ids) == 1 for ids in offers.values())
    assert len(offers) == 400


def test_poison_record_is_dead_lettered_with_its_origin_and_the_worker_keeps_going(
        settings: Settings, tmp_path: Path) -> None:
    stack = Stack(settings, tmp_path).start("recovery")
    try:
        publish(settings, [], extra=[("ComplaintReceived", b"poison-1", b"{not json")])
        good = [complaint(n, "after-poison") for n in range(5)]
        publish(settings, good)
        wait_offers(settings, {e.complaint_id for e in good})
        deadline = time.monotonic() + 10
        dead: list[Any] = []
        while not dead and time.monotonic() < deadline:
            dead = read_topic(settings, "ComplaintReceived.dlq", idle=0.3)
        stats = stack["recovery"].stats()
    finally:
        stack.stop()
    [letter] = dead
    assert letter.key == b"poison-1" and letter.value == b"{not json"
    assert letter.headers["dlq_origin_topic"] == topic_name(settings, "ComplaintReceived").encode()
    assert letter.headers["dlq_service"] == b"recovery"
    assert {"dlq_origin_partition", "dlq_origin_offset", "dlq_error"} <= set(letter.headers)
    assert stats["dead_lettered"] == 1
