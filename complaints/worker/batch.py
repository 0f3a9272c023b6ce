"""Plan a batch of consumed events: decide each case's events in order, with no I/O.

The runtime loads the batch's cases (one query), calls `plan`, publishes `Plan.records`
(one send, acked), then saves `Plan.saves` (one transaction). An event whose decision
raises is left out (its case keeps the state before it) and listed in `Plan.failed`
for the dead-letter topic; an event already applied to its case is a duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from complaints.domain.decisions import Emit
from complaints.envelope import Envelope, Record
from complaints.worker.decider import LifecycleDecider
from complaints.worker.store import Loaded, Save

log = logging.getLogger(__name__)

Item = tuple[Any, Envelope]  # (the consumed message, its decoded envelope)


@dataclass
class Plan:
    records: list[Record] = field(default_factory=list)
    saves: list[Save] = field(default_factory=list)
    emitted: dict[str, list[str]] = field(default_factory=dict)  # event ids, per case
    failed: list[tuple[Any, BaseException]] = field(default_factory=list)
    handled: int = 0
    duplicates: int = 0


def by_case(items: Sequence[Item]) -> dict[str, list[Item]]:
    """The batch's events grouped by case, each case's in consumed order."""
    out: dict[str, list[Item]] = {}
    for item in items:
        out.setdefault(item[1].complaint_id, []).append(item)
    return out


def plan(decider: LifecycleDecider, cases: Mapping[str, list[Item]], loaded: Mapping[str, Loaded],
         now: datetime, encode: Callable[[Emit], Record]) -> Plan:
    out = Plan()
    for cid, items in cases.items():
        row = loaded.get(cid) or Loaded(None, 0, None)
        state = decider.load(row.state) if row.state else None
        changed = False
        for msg, env in items:
            if state is not None and decider.is_applied(state, env.id):
                out.duplicates += 1
                out.handled += 1
                continue
            try:
                after = decider.evolve(state, env.event, env.id, env.time)
                emits = list(decider.react(after, env.event, now))
                for e in emits:
                    after = decider.evolve(after, e.event, e.event_id, now)
                records = [encode(e) for e in emits]
            except Exception as exc:
                log.exception("deciding %s failed", env.id)
                out.failed.append((msg, exc))
                continue
            state, changed = after, True
            out.records += records
            out.emitted.setdefault(cid, []).extend(r.event_id for r in records)
            out.handled += 1
        if changed and state is not None:
            part = row.partition if row.partition is not None else items[0][0].partition
            out.saves.append(Save(cid, part, decider.dump(state), decider.next_due(state), row.version))
    return out
