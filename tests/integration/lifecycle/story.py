"""Drive one case through the running services and read its events back from the topics."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from complaints.envelope import Envelope
from tests.kafka_helpers import case_events
from tests.stack import Stack
from tests.tokens import bearer


@dataclass
class Case:
    stack: Stack
    complaint_id: str

    @classmethod
    def post(cls, stack: Stack, **complaint: Any) -> Case:
        reply = httpx.post(f"{stack['intake'].url}/complaints", json=complaint, timeout=10)
        assert reply.status_code == 202, reply.text
        return cls(stack, reply.json()["complaint_id"])

    def events(self) -> list[Envelope]:
        """This case's events on all four topics, de-duplicated by id, in the canonical order (episode, time, type)."""
        return case_events(self.stack.settings, self.complaint_id)

    def types(self) -> list[str]:
        return [e.event.topic for e in self.events()]

    def wait_for(self, *expected: str, timeout: float = 20.0, settle: float = 0.0) -> list[Envelope]:
        """Wait until the case's event sequence is exactly `expected` (then still is after `settle`)."""
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while time.monotonic() < deadline:
            events = self.events()
            seen = [e.event.topic for e in events]
            if seen == list(expected):
                if settle:
                    time.sleep(settle)
                    events = self.events()
                    seen = [e.event.topic for e in events]
                    assert seen == list(expected), f"more events arrived: {seen}"
                return events
            if len(seen) > len(expected):
                break
            time.sleep(0.2)
        raise AssertionError(f"expected {list(expected)}, got {seen}")

    def follow_up(self, by: str = "senior-1", **answer: Any) -> httpx.Response:
        """Someone senior (an executive-level token) records the customer's answer."""
        return httpx.post(f"{self.stack['followup'].url}/complaints/{self.complaint_id}/follow-up",
                          json=answer, headers=bearer(self.stack.settings, by, level="executive"), timeout=10)
