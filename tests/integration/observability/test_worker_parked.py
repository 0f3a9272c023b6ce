"""While the database is down a worker parks its events (counted, by type), and nothing is dead-lettered."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.engine import Engine

from complaints.settings import Settings
from tests.integration.lifecycle.test_outage import lockable_db  # noqa: F401  (the fixture)
from tests.integration.observability.test_worker_metrics import complaint, send
from tests.stack import Stack

pytestmark = pytest.mark.postgres


def events(url: str) -> dict[tuple[str, str], float]:
    text_ = httpx.get(f"{url}/metrics", timeout=5).text
    return {(s.labels["event_type"], s.labels["outcome"]): s.value for f in text_string_to_metric_families(text_)
            for s in f.samples if s.name == "complaints_worker_events_total"}


def test_events_held_back_during_a_database_outage_are_counted_as_parked(
        settings: Settings, tmp_path: Path, lockable_db: tuple[str, Engine, str]) -> None:  # noqa: F811
    from complaints.domain.intake import received_event_id
    from complaints.envelope import encode

    url, admin, role = lockable_db
    stack = Stack(settings.model_copy(update={"database_url": url}), tmp_path).start("recovery")
    try:
        with admin.begin() as conn:  # the database goes away: no new logins, open sessions killed
            conn.execute(text(f'ALTER ROLE "{role}" NOLOGIN'))
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"))
        during = [complaint(n) for n in range(3)]
        send(settings, [encode(c, event_id=received_event_id(c.complaint_id), source="/test", time=c.received_at)
                        for c in during])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not events(stack["recovery"].url).get(("ComplaintReceived", "parked")):
            time.sleep(0.3)
        down = events(stack["recovery"].url)
        with admin.begin() as conn:
            conn.execute(text(f'ALTER ROLE "{role}" LOGIN'))
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and events(stack["recovery"].url).get(
                ("ComplaintReceived", "processed"), 0) < 3:
            time.sleep(0.3)
        after = events(stack["recovery"].url)
    finally:
        stack.stop()
    assert down.get(("ComplaintReceived", "parked"), 0) >= 1
    assert down.get(("ComplaintReceived", "processed"), 0) == 0
    assert after[("ComplaintReceived", "processed")] == 3
    assert not [k for k in after if k[1] == "dead_lettered"]
