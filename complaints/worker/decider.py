"""Bind the pure lifecycle functions of one service to a policy, for the worker shell."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from complaints.domain.case import CaseState, evolve
from complaints.domain.decisions import Emit
from complaints.domain.policy import Policy
from schemas.events import Event

#: A decision on the state with the consumed event already folded in (`escalation.react`, ...).
React = Callable[[CaseState, Event, Policy, datetime], Sequence[Emit]]
OnTick = Callable[[CaseState, Policy, datetime], Sequence[Emit]]
NextDue = Callable[[CaseState, Policy], datetime | None]


def _no_reaction(_state: CaseState, _event: Event, _policy: Policy, _now: datetime) -> Sequence[Emit]:
    return []


def _no_tick(_state: CaseState, _policy: Policy, _now: datetime) -> Sequence[Emit]:
    return []


def _never_due(_state: CaseState, _policy: Policy) -> datetime | None:
    return None


@dataclass(frozen=True)
class LifecycleDecider:
    policy: Policy
    react_fn: React = _no_reaction
    on_tick_fn: OnTick = _no_tick
    next_due_fn: NextDue = _never_due

    def on_event(self, state: CaseState | None, event: Event, event_id: str, now: datetime) -> Sequence[Emit]:
        """What to emit for a consumed event (nothing for one already applied)."""
        if state is not None and event_id in state.applied:
            return []
        return self.react_fn(evolve(state, event, event_id, now), event, self.policy, now)

    def react(self, after: CaseState, event: Event, now: datetime) -> Sequence[Emit]:
        """`on_event` for a state that already has the event folded in."""
        return self.react_fn(after, event, self.policy, now)

    def on_tick(self, state: CaseState, now: datetime) -> Sequence[Emit]:
        return self.on_tick_fn(state, self.policy, now)

    def next_due(self, state: CaseState) -> datetime | None:
        return self.next_due_fn(state, self.policy)

    @staticmethod
    def evolve(state: CaseState | None, event: Event, event_id: str, at: datetime) -> CaseState:
        return evolve(state, event, event_id, at)

    @staticmethod
    def is_applied(state: CaseState, event_id: str) -> bool:
        return event_id in state.applied

    @staticmethod
    def dump(state: CaseState) -> str:
        return state.model_dump_json()

    @staticmethod
    def load(raw: str) -> CaseState:
        return CaseState.model_validate_json(raw)
