"""Fuzzed poison records on every lifecycle topic: random keys, values, headers, lengths, encodings
and types — plus hostile but well-formed ones (an over-long ce_id, a ce_time without a time zone,
a key that is not the subject). A seeded generator, so a run can be repeated."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from complaints.settings import Settings
from complaints.topics import topic_name
from schemas.events import TOPICS

CE = ["ce_id", "ce_type", "ce_source", "ce_specversion", "ce_time", "ce_subject", "ce_dataschema",
      "content-type", "ce_correlationid", "ce_causationid", "ce_traceparent"]


def _junk(rng: random.Random) -> bytes:
    kind = rng.randrange(8)
    if kind == 0:
        return b""
    if kind == 1:
        return rng.randbytes(rng.choice([1, 7, 64, 300, 4096]))
    if kind == 2:
        return "ü∂€😀".encode("utf-16") * rng.randrange(1, 50)
    if kind == 3:
        return b"\xff\xfe\x00" * rng.randrange(1, 100)
    if kind == 4:
        return json.dumps(rng.choice([None, 1, -1.5e308, [], {}, "x" * 1000, {"complaint_id": 5}])).encode()
    if kind == 5:
        return b"{" * rng.randrange(1, 2000)
    if kind == 6:
        return str(rng.randrange(-(10**30), 10**30)).encode()
    return ("x" * rng.choice([199, 200, 201, 300, 10_000])).encode()


def _hostile_received(rng: random.Random, topic: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """A ComplaintReceived that decodes, but with one header out of bounds."""
    cid = f"fz-{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}"
    data = {"complaint_id": cid, "channel": "web", "customer_ref": "fz", "category": "wrong_order",
            "category_source": "customer", "severity": "low", "severity_source": "customer", "public": False,
            "received_at": datetime(2026, 1, 1, tzinfo=UTC).isoformat(), "prior_complaints": 0,
            "personal": {"key_ref": "fz", "nonce": "bm9uY2U", "ciphertext": "Y2lwaGVy"}}
    headers = {"ce_id": cid + "-id", "ce_type": "ComplaintReceived", "ce_source": "fuzz", "ce_specversion": "1.0",
               "ce_time": "2026-01-01T00:00:00+00:00", "ce_subject": cid, "content-type": "application/json"}
    twist = rng.randrange(4)
    if twist == 0:
        headers["ce_id"] = "i" * 300
    elif twist == 1:
        headers["ce_time"] = "2026-01-01T00:00:00"  # no time zone
    elif twist == 2:
        headers["ce_subject"] = "someone-else"  # key != subject
    else:
        headers["ce_type"] = "ComplaintReceived.v99"
    return cid.encode(), json.dumps(data).encode(), [(k, v.encode()) for k, v in headers.items()]


Poison = tuple[str, bytes | None, bytes, list[tuple[str, bytes]], str]


def poison_records(n: int, seed: int) -> list[Poison]:
    """`n` records: (topic, key, value, headers, ce_id) — ce_id as the scan will read it back."""
    rng = random.Random(seed)
    out: list[Poison] = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        key: bytes | None
        if rng.random() < 0.2:
            key, value, headers = _hostile_received(rng, topic)
        else:
            key = None if rng.random() < 0.2 else _junk(rng)[:20_000]
            value = _junk(rng)
            headers = [(rng.choice(CE) if rng.random() < 0.8 else _junk(rng)[:40].decode("latin-1"), _junk(rng)[:5000])
                       for _ in range(rng.randrange(0, 12))]
            if rng.random() < 0.5:  # a plausible id, so many reach past the first check
                headers.append(("ce_id", f"fz-{i}-{seed}".encode()))
        ce_id = next((v.decode("utf-8", "replace") for k, v in reversed(headers) if k == "ce_id"), "")
        out.append((topic, key, value, headers, ce_id))
    return out


async def send_poison(settings: Settings, n: int = 1000, seed: int = 16) -> set[str]:
    """Publish the poison; returns the ce_ids it used (the duplicate scan ignores them)."""
    records = poison_records(n, seed)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                                max_request_size=2**20)
    await producer.start()
    try:
        for topic, key, value, headers, _ in records:
            await producer.send(topic_name(settings, topic), value=value, key=key, headers=headers)
        await producer.flush()
    finally:
        await producer.stop()
    return {r[4] for r in records if r[4]}
