"""The whole stack as real processes (intake, the three workers, projections) for the auth tests.

One stack for the package: its modules post complaints of their own (each with its own customer) and
read back only those, so they share it; starting it once per module cost ~7 s each.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from complaints.envelope import Envelope
from complaints.settings import Settings
from tests.conftest import Broker, _own_broker, make_settings
from tests.kafka_helpers import case_events
from tests.stack import Stack

SERVICES = ("intake", "escalation", "recovery", "followup", "projections", "notifier")


@pytest.fixture(scope="package")
def stack(shared_broker: Broker | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with contextlib.contextmanager(_own_broker)(shared_broker) as broker:
        running = Stack(make_settings(broker, tmp_path_factory.mktemp("auth")), tmp_path_factory.mktemp("logs"))
        try:
            yield running.start(*SERVICES)
        finally:
            running.stop()


def complain(stack: Stack, **complaint: Any) -> tuple[str, str]:
    """POST a complaint (public: no token); its id and log position."""
    reply = httpx.post(f"{stack['intake'].url}/complaints", json=complaint, timeout=10)
    assert reply.status_code == 202, reply.text
    return reply.json()["complaint_id"], reply.json()["position"]


def wait_events(settings: Settings, complaint_id: str, *types: str, timeout: float = 20) -> list[Envelope]:
    """Wait until the case's events are exactly `types` (in time order)."""
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        events = case_events(settings, complaint_id)
        seen = [e.event.topic for e in events]
        if seen == list(types):
            return events
        if len(seen) > len(types):
            break
        time.sleep(0.2)
    raise AssertionError(f"expected {list(types)}, got {seen}")
