"""Nothing the notifier does is retried forever or kept forever: dead letters, dying senders, retention.

Real databases (SQLite and PostgreSQL) and the real embedded broker; the records handed to the
consumer's dead-letter path are plain records as faust hands them over.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from complaints.broker.embedded import free_port
from complaints.kafka.producer import EventProducer
from complaints.mailsink import start_mail_sink
from complaints.settings import Settings
from complaints.topics import dlq, topic_name
from services.notifier import dead_letters
from services.notifier.consumer import Consumer
from services.notifier.plan import emails_for
from services.notifier.store import NotifierStore
from tests.integration.notifier.harness import mails
from tests.integration.notifier.test_deliveries import sender_with_case, settings_for, statuses
from tests.kafka_helpers import read_topic
from tests.unit.domain.helpers import complaint


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def kept_dead_letter(settings: Settings, record: Record) -> tuple[NotifierStore, dict[str, int]]:
    """Hand the consumer a record it could not fold; return its store and counters once it is done."""
    store = NotifierStore(settings.database_url)

    async def run() -> dict[str, int]:
        producer = EventProducer(settings)
        await producer.start()
        try:
            consumer = Consumer(settings, store, producer, batch_max=10, batch_within=0.01)
            started = time.monotonic()
            await consumer._dead_letter(record, ValueError("not a complaint"))
            assert time.monotonic() - started < 5  # one try, then kept: the consumer does not wait on the DLQ
            return consumer.counters
        finally:
            await producer.stop()

    return store, asyncio.run(run())


def test_a_dead_letter_the_broker_refuses_is_kept_retried_a_bounded_number_of_times_then_dead(
        settings: Settings, tmp_path: Path) -> None:
    source = topic_name(settings, "ComplaintReceived")
    huge = Record(source, 0, 41, b"c-huge", b"x" * 1_100_000, [("ce_id", b"ev-huge")])  # above the producer's 1 MB
    bounded = settings.model_copy(update={"notify_max_attempts": 2, "notify_retry_base_s": 0.05,
                                          "database_url": f"sqlite:///{tmp_path}/n.db"})
    store, counters = kept_dead_letter(bounded, huge)
    assert (counters["dead_lettered"], counters["dead_letters_kept"]) == (1, 1)
    [row] = store.listing(None, "dlq", "c-huge", 10)
    assert (row["status"], row["kind"], row["attempts"]) == ("pending", "dead_letter", 0)

    async def delivery_rounds(n: int) -> None:
        producer = EventProducer(bounded)
        await producer.start()
        try:
            sender, _, _ = sender_with_case(bounded, "c-other", None)
            sender.producer = producer
            for _ in range(n):
                await sender.round()
                await asyncio.sleep(0.1)
        finally:
            await producer.stop()

    asyncio.run(delivery_rounds(4))
    [row] = store.listing("dead", "dlq", "c-huge", 10)  # the bound: 2 attempts, then dead — kept, listed
    assert row["attempts"] == 2 and "MessageSizeTooLarge" in (row["last_error"] or "")
    assert store.requeue(row["id"], datetime.now(UTC))  # re-drivable by the retry endpoint's call
    assert [r["status"] for r in store.listing(None, "dlq", "c-huge", 10)] == ["retry"]


def test_a_kept_dead_letter_reaches_the_dead_letter_topic_with_its_origin_and_error(
        settings: Settings, tmp_path: Path) -> None:
    source = topic_name(settings, "ComplaintReceived")
    small = Record(source, 0, 7, b"c-small", b"{not json", [("ce_id", b"ev-small")])
    local = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/n.db"})
    store = NotifierStore(local.database_url)

    planned = dead_letters.kept(small, ValueError("not a complaint"), datetime.now(UTC))
    assert store.save({}, [planned], datetime.now(UTC)) == 1
    assert store.save({}, [planned], datetime.now(UTC)) == 0  # the same record refused again: kept once

    async def deliver() -> None:
        producer = EventProducer(local)
        await producer.start()
        try:
            sender, _, _ = sender_with_case(local, "c-other", None)
            sender.producer = producer
            await sender.round()
        finally:
            await producer.stop()

    asyncio.run(deliver())
    assert [r["status"] for r in store.listing(None, "dlq", "c-small", 10)] == ["sent"]
    [parked] = [r for r in read_topic(local, dlq("ComplaintReceived")) if r.key == b"c-small"]
    assert parked.value == b"{not json" and parked.headers["ce_id"] == b"ev-small"
    assert parked.headers["dlq_error"] == b"ValueError: not a complaint"
    assert (parked.headers["dlq_origin_topic"], parked.headers["dlq_origin_offset"]) == (source.encode(), b"7")


def test_a_message_whose_sender_keeps_dying_is_dead_after_the_bound_not_claimed_forever(tmp_path: Path) -> None:
    port = free_port()
    sink = start_mail_sink(tmp_path / "mail", "127.0.0.1", port)  # the mail server is fine: the sender is not
    try:
        sender, store, _ = sender_with_case(settings_for(tmp_path, port), "c-dying", "dee@example.com")  # bound: 2
        for minutes_ago in (5, 4):  # claimed, and the process killed mid-send, twice
            [item] = store.due(datetime.now(UTC))
            assert store.claim(item, datetime.now(UTC) - timedelta(minutes=minutes_ago), timedelta(seconds=20))
        asyncio.run(sender.round())
        [(status, attempts, error)] = statuses(store, "c-dying")
        assert (status, attempts) == ("dead", 3) and error and "stopped mid-way" in error
        assert store.due(datetime.now(UTC) + timedelta(hours=1)) == [] and mails(tmp_path / "mail") == []
    finally:
        sink.stop()


def test_delivered_rows_past_their_retention_are_pruned_and_dead_ones_kept(db_url: str) -> None:
    store = NotifierStore(db_url)
    old, recent = datetime.now(UTC) - timedelta(days=40), datetime.now(UTC) - timedelta(days=1)
    outcome = {"c-sent": "sent", "c-skipped": "skipped", "c-dead": "dead", "c-waiting": None, "c-recent": "sent"}
    for cid, status in outcome.items():
        at = recent if cid == "c-recent" else old
        store.save({}, emails_for(complaint(cid), f"ev-{cid}", at), at)
        [item] = [d for d in store.due(datetime.now(UTC), 100) if d.complaint_id == cid]
        if status is not None:
            assert store.claim(item, at, timedelta(seconds=20))
            store.finish(item, status, at)
    assert store.prune(datetime.now(UTC) - timedelta(days=30)) == 2
    left = {r["complaint_id"]: r["status"] for r in store.listing(None, None, None, 100)}
    assert left == {"c-dead": "dead", "c-waiting": "pending", "c-recent": "sent"}


def test_retention_must_outlive_the_age_after_which_an_event_mails_no_one() -> None:
    with pytest.raises(ValueError, match="notify_retention_days"):
        Settings(notify_retention_days=1, notify_max_event_age_h=48)
    assert Settings(notify_retention_days=3, notify_max_event_age_h=48).notify_retention_days == 3
