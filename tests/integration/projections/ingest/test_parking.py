"""A record the projector cannot store is parked with its origin, and the next complaint is still projected.

The issue's case: one well-formed `ComplaintReceived` whose `ce_id` is 300 characters stopped the
PostgreSQL projector for good (`StringDataRightTruncation`). Now decoding refuses the id (too long),
a value the database refuses (a 300-character `customer_ref`, on PostgreSQL) is found by applying the
batch one record at a time, and both are kept in the projections database's `parked` table.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import create_engine

from complaints.parking import ParkingLot
from complaints.settings import Settings
from tests.integration.projections.conftest import Publisher, latest, serve
from tests.unit.readmodel.factory import T0, received


async def test_records_the_projector_cannot_store_are_parked_and_it_carries_on(
        proj_settings: Settings, publisher: Publisher) -> None:
    long_id = replace(received("c-long-id", T0), id="i" * 300).record()
    long_ref = received("c-long-ref", T0, customer="r" * 300)
    following = received("c-next", T0)
    postgres = proj_settings.projections_database_url.startswith("postgresql")
    async with serve(proj_settings) as client:
        bad = await publisher.raw(long_id.topic, long_id.key, long_id.value, long_id.headers)
        positions = await publisher.events([long_ref, following])
        r = await client.get("/complaints/c-next", params={"min_position": latest([bad, *positions])})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "received"
        health = (await client.get("/health")).json()
        assert health["status"] == "ok" and health["projector"]["running"], health
        stored_ref = (await client.get("/complaints/c-long-ref")).status_code
    parked = ParkingLot(create_engine(proj_settings.projections_database_url)).list("projections")
    topic, partition, offset = bad.rsplit(":", 2)
    [first] = [p for p in parked if p.key == b"c-long-id"]
    assert (first.topic, first.partition, first.offset) == (topic, int(partition), int(offset))
    assert "ce_id is 300 characters long" in first.error and first.value == long_id.value
    assert dict(first.headers)["ce_id"] == b"i" * 300
    if postgres:  # PostgreSQL enforces the column's length: parked, not projected
        assert stored_ref == 404 and len(parked) == 2
        [second] = [p for p in parked if p.key == b"c-long-ref"]
        assert second.error.startswith("StoreRefused: StringDataRightTruncation: value too long"), second.error
        assert "rrrr" not in second.error, "the refused value is not quoted"
    else:  # SQLite stores it: projected
        assert stored_ref == 200 and len(parked) == 1
