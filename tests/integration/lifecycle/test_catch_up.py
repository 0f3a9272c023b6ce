"""After a restart the SLA timer waits until the worker has consumed what was on the topics:
an offer made in time but still waiting on the topic is not an `sla_breached`."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaProducer

from complaints.settings import Settings
from complaints.topics import topic_name
from tests.kafka_helpers import read_topic
from tests.stack import Stack
from tests.unit.readmodel.factory import offered, received

BACKLOG = 20_000  # records ahead of the offer on its partition: seconds of catching up


def send(settings: Settings, records: list[tuple[str, object]]) -> None:
    async def go() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, linger_ms=20)
        await producer.start()
        try:
            for topic, ev in records:
                r = ev.record()  # type: ignore[attr-defined]
                await producer.send(topic_name(settings, topic), r.value, key=r.key, headers=r.headers, partition=0)
            await producer.flush()
        finally:
            await producer.stop()

    asyncio.run(go())


def processed(stack: Stack) -> int:
    return int(stack["escalation"].stats()["processed"])


def until(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.3)
    raise AssertionError(f"never: {what}")


def test_the_sla_timer_waits_until_the_offers_on_the_topic_are_consumed(settings: Settings, tmp_path: Path) -> None:
    """The worker was down (here: not started yet) while a social complaint's 3 s SLA passed, and an agent's
    offer made in time waits on the topic behind a backlog. Deciding the SLA before consuming it is a false breach."""
    t0 = datetime.now(UTC) - timedelta(seconds=30)
    case = received("late-1", t0, channel="social", public=True)  # nobody offers automatically; SLA 3 s
    filler = [("RecoveryOffered", offered(f"other-{n}", t0, offer_id=f"o-{n}", remedies=[("apology", None, "")]))
              for n in range(BACKLOG)]
    offer = offered("late-1", t0 + timedelta(seconds=1), offer_id="o-late-1", remedies=[("apology", None, "")])
    send(settings, [("ComplaintReceived", case), *filler])
    send(settings, [("RecoveryOffered", offer)])  # a batch of its own: Tansu's end offset is that of the last batch
    stack = Stack(settings, tmp_path).start("escalation")
    try:
        until(lambda: processed(stack) >= BACKLOG + 2, 120, "the backlog is consumed")
        time.sleep(3)  # a few ticks after catching up
        stats = stack["escalation"].stats()
    finally:
        stack.stop()
    breaches = [r for r in read_topic(settings, "Escalated", idle=0.3) if r.key == b"late-1"]
    assert breaches == [], "the offer was made before the SLA passed: no breach"
    assert stats["catching_up"] == 0, stats
