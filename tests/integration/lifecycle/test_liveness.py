"""A database error during a timer tick is caught, `/health` names the timer once it stalls beyond the bound,
and the timer resumes when the database is back: SLA breaches are escalated again."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from complaints.settings import Settings
from tests.integration.lifecycle.test_delivery_guarantees import complaint, publish
from tests.integration.lifecycle.test_outage import lockable_db  # noqa: F401  (the fixture)
from tests.kafka_helpers import read_topic
from tests.stack import Stack

pytestmark = pytest.mark.postgres


def health(url: str) -> httpx.Response:
    return httpx.get(f"{url}/health", timeout=5)


def until(what: str, check: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.3)
    raise AssertionError(f"never: {what}")


def test_the_timer_survives_a_database_outage_and_health_names_it_meanwhile(
        settings: Settings, tmp_path: Path, lockable_db: tuple[str, Engine, str]) -> None:  # noqa: F811
    url, admin, role = lockable_db
    local = settings.model_copy(update={"database_url": url, "liveness_bound_s": 3.0})
    stack = Stack(local, tmp_path).start("escalation")
    worker = stack["escalation"].url
    try:
        with admin.begin() as conn:  # the database goes away during the ticks
            conn.execute(text(f'ALTER ROLE "{role}" NOLOGIN'))
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"))
        until("/health answers 503 naming the timer",
              lambda: health(worker).status_code == 503 and "timer" in health(worker).json()["stalled"])
        stalled = health(worker).json()["stalled"]["timer"]
        assert "no successful run" in stalled, stalled  # its last error is named too, once a tick has failed
        with admin.begin() as conn:
            conn.execute(text(f'ALTER ROLE "{role}" LOGIN'))
        until("/health answers 200 again", lambda: health(worker).status_code == 200)
        social = complaint(1, "after-outage").model_copy(update={
            "channel": "social", "public": True, "received_at": datetime.now(UTC)})
        publish(settings, [social])
        until("the SLA timer escalates the unanswered social complaint", lambda: any(
            r.key == social.complaint_id.encode() and b'"sla_breached"' in (r.value or b"")
            for r in read_topic(settings, "Escalated", idle=0.3)), timeout=40)
    finally:
        stack.stop()
