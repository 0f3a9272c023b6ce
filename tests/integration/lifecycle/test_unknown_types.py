"""A worker skips a type it has no use for, counted per type in /health; a version it cannot read of a
lifecycle type is parked (to be re-driven after an upgrade), never skipped."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine

from complaints.envelope import Record, encode
from complaints.parking import ParkingLot
from complaints.settings import Settings
from tests.integration.observability.test_worker_metrics import complaint, send
from tests.stack import Stack


def test_unknown_types_are_counted_per_type_and_unreadable_versions_parked(settings: Settings, tmp_path: Path) -> None:
    base = encode(complaint(7), event_id="e-7", source="/test", time=complaint(7).received_at)
    other = Record("Escalated", b"m-7", b"{}", [(k, b"acme.Audit.v1" if k == "ce_type" else v)
                                                for k, v in base.headers], "x-1")
    future = Record("Escalated", b"m-7", b"{}", [(k, b"complaints.Escalated.v9" if k == "ce_type" else v)
                                                 for k, v in base.headers], "x-2")
    stack = Stack(settings, tmp_path).start("recovery")
    try:
        send(settings, [other, other, future])
        deadline, health = time.monotonic() + 30, {}
        while time.monotonic() < deadline:
            health = httpx.get(f"{stack['recovery'].url}/health", timeout=5).json()
            if health.get("skipped_unknown", {}).get("acme.Audit.v1") == 2 and stack["recovery"].stats()["parked"]:
                break
            time.sleep(0.3)
    finally:
        stack.stop()
    assert health["skipped_unknown"] == {"acme.Audit.v1": 2}, health
    [parked] = ParkingLot(create_engine(settings.database_url)).list("recovery")
    assert dict(parked.headers)["ce_type"] == b"complaints.Escalated.v9"
    assert parked.error.startswith("UnreadableVersion: complaints.Escalated.v9")
