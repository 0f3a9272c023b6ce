"""A record a worker refuses is parked in its own store, never blocking the partition; the CLI lists and re-drives it.

The issue's case: a refused record too large for its dead-letter topic was retried forever and the
agent stopped for every partition. Now it is parked first, the dead-letter copy is given up, and the
complaints after it are decided.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from aiokafka import AIOKafkaProducer

from complaints.settings import Settings
from complaints.topics import topic_name
from tests.integration.lifecycle.test_delivery_guarantees import complaint, publish, wait_offers
from tests.kafka_helpers import read_topic
from tests.stack import Stack, service_env

BIG = 1024 * 1024 - 400  # fits a record on the topic; its dead-letter copy (origin, error) does not


def poison(settings: Settings) -> None:
    headers = [("ce_id", b"big-1"), ("ce_source", b"/test"), ("ce_type", b"complaints.ComplaintReceived.v2"),
               ("ce_specversion", b"1.0"), ("ce_time", b"2026-01-05T09:00:00Z"), ("ce_subject", b"big-1")]

    async def go() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, max_request_size=4 << 20)
        await producer.start()
        try:
            topic = topic_name(settings, "ComplaintReceived")
            await producer.send_and_wait(topic, b"x" * BIG, key=b"big-1", headers=headers, partition=0)
            await producer.send_and_wait(topic, b"{not json", key=b"poison-1", headers=headers, partition=0)
        finally:
            await producer.stop()

    asyncio.run(go())


def cli(settings: Settings, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "complaints.cli", "parked", *args, "--database",
                           settings.database_url], env=service_env(settings), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_refused_record_too_large_to_dead_letter_is_parked_and_the_partition_goes_on(
        settings: Settings, tmp_path: Path) -> None:
    stack = Stack(settings, tmp_path).start("recovery")
    try:
        poison(settings)
        good = [complaint(n, "after-big") for n in range(20)]  # some of them on partition 0, behind the poison
        publish(settings, good)
        wait_offers(settings, {e.complaint_id for e in good}, timeout=60)
        stats = stack["recovery"].stats()
        listed = json.loads(cli(settings, "list", "--service", "recovery", "--json"))
        assert sorted(p["key"] for p in listed) == ["big-1", "poison-1"]
        origin = ("recovery", topic_name(settings, "ComplaintReceived"), 0)
        for p in listed:
            assert (p["service"], p["topic"], p["partition"]) == origin
            assert "MalformedEvent" in p["error"] and p["value"] is None  # the value is never printed
        assert {p["key"]: p["value_bytes"] for p in listed} == {"big-1": BIG, "poison-1": 9}
        assert stats["parked"] == 2 and stats["dead_lettered"] == 1 and stats["dead_letter_failed"] == 1
        [small] = [p for p in listed if p["key"] == "poison-1"]
        assert "1 re-driven" in cli(settings, "redrive", small["id"])
        again = [r for r in read_topic(settings, "ComplaintReceived", idle=0.3) if r.key == b"poison-1"]
        assert [r.value for r in again] == [b"{not json", b"{not json"] and again[1].headers == again[0].headers
        left = json.loads(cli(settings, "list", "--json"))
        assert small["id"] not in [p["id"] for p in left]
    finally:
        stack.stop()
    dead = read_topic(settings, "ComplaintReceived.dlq", idle=0.3)
    assert dead and {r.key for r in dead} == {b"poison-1"}, "the big record got no dead-letter copy, only parked"
