"""Bind the pure lifecycle functions of one service to a policy, for the worker shell."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from complaints.domain import step
from complaints.domain.case import CaseState
from complaints.domain.emit import Emit
from complaints.domain.policy import Policy
from complaints.domain.policy_book import Policies
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
    book: Policies | None = None  # the kept policies: each case is decided under the one it names

    def policy_for(self, state: CaseState | None) -> Policy:
        """The case's own policy (`PolicyBook.for_case`: refuses a version it does not hold)."""
        return self.book.for_case(state) if self.book is not None else self.policy

    def consume(self, state: CaseState | None, event: Event, event_id: str, at: datetime, now: datetime,
                ) -> step.Step:
        """A consumed event through the one step (`step.consume`) with this service's reaction."""
        def react(after: CaseState, ev: Event) -> Sequence[Emit]:
            return self.react_fn(after, ev, self.policy_for(after), now)

        return step.consume(state, event, event_id, at, react, now)

    def on_tick(self, state: CaseState | None, now: datetime) -> Sequence[Emit]:
        return self.on_tick_fn(state, self.policy_for(state), now) if state is not None else []

    def next_due(self, state: CaseState) -> datetime | None:
        return self.next_due_fn(state, self.policy_for(state))

    @staticmethod
    def dump(state: CaseState) -> str:
        return state.model_dump_json()

    @staticmethod
    def load(raw: str) -> CaseState:
        return CaseState.model_validate_json(raw)
