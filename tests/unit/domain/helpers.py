"""A tiny in-memory lifecycle: the three services' pure cores sharing one event log.

Each service keeps its own case state, consumes every event (its own too, deduplicated by
id) and folds what it emits back into its state at once, as the real wiring does.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from complaints.domain import CaseState, Emit, Policy, escalation, evolve, followup, recovery
from complaints.ids import deterministic_id
from schemas.common import Money, Sealed
from schemas.events import ComplaintReceived, Event

T0 = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
E = TypeVar("E", bound=Event)


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def complaint(complaint_id: str = "case-1", **fields: Any) -> ComplaintReceived:
    """A ComplaintReceived with quiet defaults: a wrong order, in person, low severity, USD 8.50."""
    values: dict[str, Any] = {
        "complaint_id": complaint_id,
        "channel": "in_person",
        "customer_ref": "cust-42",
        "personal": Sealed(key_ref="cust-42", nonce="bm9uY2U", ciphertext="c2VhbGVk"),
        "category": "wrong_order",
        "category_source": "customer",
        "severity": "low",
        "severity_source": "classified",
        "amount_at_stake": usd("8.50"),
        "received_at": T0,
        "prior_complaints": 0,
    }
    values.update(fields)
    return ComplaintReceived(**values)


class Lifecycle:
    """Drive a case through escalation, recovery and follow-up; `log` is the sequence of events on the topics."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.log: list[Emit] = []
        self.states: dict[str, CaseState | None] = {"escalation": None, "recovery": None, "followup": None}

    # -- inputs -------------------------------------------------------------------------------
    def receive(self, received: ComplaintReceived, at: datetime | None = None) -> list[Emit]:
        event_id = deterministic_id("ComplaintReceived", received.complaint_id)
        return self.publish([Emit(received, event_id, None)], at or received.received_at)

    def tick(self, now: datetime) -> list[Emit]:
        emits = escalation.on_tick(self.state("escalation"), self.policy, now)
        emits += followup.on_tick(self.state("followup"), self.policy, now)
        return self.publish(emits, now)

    def answer(self, satisfied: bool, now: datetime, csat: int | None = None) -> list[Emit]:
        emits = followup.answer(
            self.states["followup"],
            satisfied=satisfied,
            csat=csat,
            comment=None,
            agent="mgr-7",
            policy=self.policy,
            now=now,
        )
        return self.publish(emits, now)

    def publish(self, emits: list[Emit], now: datetime) -> list[Emit]:
        """Deliver to every service until nothing new is emitted; returns everything published."""
        queue, published = deque(emits), []
        while queue:
            emit = queue.popleft()
            if any(e.event_id == emit.event_id for e in self.log):
                continue
            self.log.append(emit)
            published.append(emit)
            for name, decide in (("escalation", escalation.on_event), ("recovery", recovery.on_event)):
                out = decide(self.states[name], emit.event, emit.event_id, self.policy, now)
                self.fold(name, [emit, *out], now)
                queue.extend(out)
            self.fold("followup", [emit], now)
        return published

    def fold(self, name: str, emits: list[Emit], now: datetime) -> None:
        state = self.states[name]
        for emit in emits:
            state = evolve(state, emit.event, emit.event_id, emit.at or now)
        self.states[name] = state

    # -- reading ------------------------------------------------------------------------------
    def state(self, name: str = "escalation") -> CaseState:
        state = self.states[name]
        assert state is not None
        return state

    def kinds(self) -> list[str]:
        return [type(e.event).__name__ for e in self.log]

    def last(self, kind: type[E]) -> E:
        found = [e.event for e in self.log if isinstance(e.event, kind)]
        assert found, f"no {kind.__name__} on the topics; got {self.kinds()}"
        return found[-1]
