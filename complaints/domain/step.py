"""The one step every lifecycle service takes per input, written once.

A consumed event: skip it if its id is already applied (a redelivery), fold it into the
state, decide what to emit in answer (`react`), fold the emits in at once. A decision of
its own (an agent's request over HTTP, a timer): decide on the state, fold the emits in.
The shell publishes `Step.emits` before it saves `Step.state`, so a crash in between
replays the input and re-publishes the same deterministic ids.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from complaints.domain.case import CaseState, evolve
from complaints.domain.emit import Emit
from schemas.events import Event

#: What a service emits in answer to a consumed event, on the state with that event folded in.
React = Callable[[CaseState, Event], Sequence[Emit]]
#: A decision of the service's own on the state as stored (None: no such case yet).
Decide = Callable[[CaseState | None], Sequence[Emit]]


@dataclass(frozen=True)
class Step:
    state: CaseState | None  # after the input and the emits (unchanged for a duplicate)
    emits: tuple[Emit, ...]
    duplicate: bool = False


def consume(state: CaseState | None, event: Event, event_id: str, at: datetime, react: React,
            now: datetime) -> Step:
    """A consumed event (`at`: its time) through dedupe, evolve and react; the emits are folded at `now`."""
    if state is not None and event_id in state.applied:
        return Step(state, (), duplicate=True)
    after = evolve(state, event, event_id, at)
    return _fold(after, tuple(react(after, event)), now)


def decide(state: CaseState | None, decision: Decide, now: datetime) -> Step:
    """A decision of the service's own, its emits folded into the state at `now`."""
    return _fold(state, tuple(decision(state)), now)


def _fold(state: CaseState | None, emits: tuple[Emit, ...], now: datetime) -> Step:
    for emit in emits:
        state = evolve(state, emit.event, emit.event_id, emit.at or now)
    return Step(state, emits)
