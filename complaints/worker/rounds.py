"""One round of the worker contract, worked out with no I/O: every input of a set of cases.

The runtime loads the round's cases (one query), calls `decide_round`, publishes `Round.records`
(one send, acked), then saves `Round.saves` (one transaction). Every input goes through the
one step (`complaints.domain.step`): a consumed event (`Consumed`) through dedupe, evolve and
react; a decision of the service's own (`Decision`: an agent's request, a timer) through
decide and fold. An input whose step raises is left out (its case keeps the state before it)
and listed in `Round.failed`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from complaints.domain import step
from complaints.domain.emit import Emit
from complaints.envelope import Envelope, Record
from complaints.worker.decider import LifecycleDecider
from complaints.worker.store import Loaded, Save

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Consumed:
    """A consumed record and its decoded envelope."""

    message: Any
    envelope: Envelope

    @property
    def complaint_id(self) -> str:
        return self.envelope.complaint_id


@dataclass(frozen=True)
class Decision:
    """A decision of the service's own on one case."""

    complaint_id: str
    decide: step.Decide


Input = Consumed | Decision


@dataclass
class Round:
    records: list[Record] = field(default_factory=list)
    saves: list[Save] = field(default_factory=list)
    emitted: dict[str, list[str]] = field(default_factory=dict)  # event ids, per case
    failed: list[tuple[Input, BaseException]] = field(default_factory=list)
    consumed: int = 0  # consumed events handled (duplicates included)
    duplicates: int = 0


def by_case(inputs: Sequence[Input]) -> dict[str, list[Input]]:
    """The inputs grouped by case, each case's in the order given."""
    out: dict[str, list[Input]] = {}
    for item in inputs:
        out.setdefault(item.complaint_id, []).append(item)
    return out


def decide_round(decider: LifecycleDecider, cases: Mapping[str, Sequence[Input]], loaded: Mapping[str, Loaded],
             now: datetime, encode: Callable[[Emit, datetime], Record]) -> Round:
    """`now`: the time of the service's own decisions (an agent's request). A consumed event is decided as of
    its own time, and each emit carries the time its decision gives it (`Emit.at`): a redelivered input is
    re-decided into the same bytes, whenever it comes back."""
    out = Round()
    for cid, inputs in cases.items():
        row = loaded.get(cid) or Loaded(None, 0, None)
        state = decider.load(row.state) if row.state else None
        changed = False
        for item in inputs:
            try:
                if isinstance(item, Consumed):
                    env = item.envelope
                    at = env.time
                    done = decider.consume(state, env.event, env.id, env.time, at)
                else:
                    at = now
                    done = step.decide(state, item.decide, at)
                records = [encode(e, e.at or at) for e in done.emits]
            except Exception as exc:
                if isinstance(item, Consumed):  # a decision's refusal is its caller's to report
                    log.exception("deciding %s failed", item.envelope.id)
                out.failed.append((item, exc))
                continue
            if isinstance(item, Consumed):
                out.consumed += 1
                out.duplicates += done.duplicate
            if done.duplicate or (not done.emits and done.state is state):
                continue
            state, changed = done.state, True
            out.records += records
            out.emitted.setdefault(cid, []).extend(r.event_id for r in records)
        if changed and state is not None:
            first = inputs[0]
            part = row.partition if row.partition is not None else (
                first.message.partition if isinstance(first, Consumed) else 0)
            out.saves.append(Save(cid, part, decider.dump(state), decider.next_due(state), row.version))
    return out
