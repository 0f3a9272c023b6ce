"""Duplicates are applied once; unknown types are skipped and counted; malformed records are
dead-lettered with their origin — and the projector keeps going."""

from __future__ import annotations

import asyncio

from complaints.settings import Settings
from complaints.topics import dlq
from tests.integration.projections.conftest import Publisher, latest, serve
from tests.kafka_helpers import read_topic
from tests.unit.readmodel.factory import sandwich


def _with_header(headers: list[tuple[str, bytes]], name: str, value: bytes) -> list[tuple[str, bytes]]:
    return [(k, value if k == name else v) for k, v in headers]


async def test_duplicates_unknown_types_and_malformed_records(proj_settings: Settings, publisher: Publisher) -> None:
    received, offer, follow_up = sandwich("c-bad")
    rec = received.record()
    future = _with_header(rec.headers, "ce_type", b"complaints.ComplaintReceived.v9")
    async with serve(proj_settings) as client:
        positions = await publisher.events([received, received])  # the same event twice (a producer retry)
        positions.append(await publisher.raw(rec.topic, rec.key, rec.value, future))  # a future version
        bad_pos = await publisher.raw(rec.topic, rec.key, b"{not json", rec.headers)  # malformed
        invalid = offer.record()
        positions.append(await publisher.raw(invalid.topic, invalid.key, b'{"complaint_id": "c-bad"}',
                                             invalid.headers))  # valid JSON, invalid event
        positions += await publisher.events([offer, follow_up])  # the stream goes on
        r = await client.get("/complaints/c-bad", params={"min_position": latest([*positions, bad_pos])})
        assert r.status_code == 200, r.text
        view = r.json()
        assert view["status"] == "closed" and len(view["timeline"]) == 3 and view["event_count"] == 3
        health = (await client.get("/health")).json()
        assert health["status"] == "ok" and health["projector"]["running"]
        counters = health["counters"]
        assert counters["applied"] == 3 and counters["duplicates"] == 1
        assert counters["unknown_skipped"] == 1 and counters["unknown_type:complaints.ComplaintReceived.v9"] == 1
        assert counters["malformed"] == 2

    dead = await asyncio.to_thread(read_topic, proj_settings, dlq("ComplaintReceived"))
    assert len(dead) == 1
    topic, partition, offset = bad_pos.rsplit(":", 2)
    h = dead[0].headers
    assert (h["dlq_origin_topic"].decode(), h["dlq_origin_partition"].decode(), h["dlq_origin_offset"].decode()) == (
        topic, partition, offset)
    assert b"MalformedEvent" in h["dlq_error"] and h["dlq_service"] == b"projections"
    assert dead[0].value == b"{not json" and dead[0].key == rec.key and h["ce_id"] == received.id.encode()
    assert len(await asyncio.to_thread(read_topic, proj_settings, dlq("RecoveryOffered"))) == 1
