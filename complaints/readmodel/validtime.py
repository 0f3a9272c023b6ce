"""Valid-time versions of a case: its state from each moment it changed until the next. Pure, no I/O.

A case `as_of` T is, by definition, the fold of its events whose time is at most T (canonical
order; `storage/queries.py` `case_at`). Its versions are those folds at each distinct event time:
version k holds from t_k until t_{k+1} (the last one is open-ended), so the queue as it stood at
any moment is a range read of versions, not a refold of every case.

`versions` computes them from scratch. When new events come after a case's applied ones in
canonical order and in time order too (`appendable`: the usual case), the fold up to each new time
is the running fold's state after the last event at that time (`running`), so the writer appends
versions while it folds instead of recomputing them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from complaints.envelope import Envelope
from complaints.readmodel.casedoc import Doc, FirstResponse
from complaints.readmodel.fold import fold_doc
from complaints.readmodel.model import utc
from complaints.readmodel.order import sort_key

T = TypeVar("T")


def versions(items: Iterable[tuple[Envelope, str]], first_response: FirstResponse | None = None,
             ) -> list[tuple[datetime, Doc]]:
    """(valid from, the case as of then) at each distinct time of its events: the definition."""
    ordered = sorted(items, key=lambda item: sort_key(item[0]))
    out = []
    for moment in sorted({utc(env.time) for env, _ in ordered}):
        doc = fold_doc([item for item in ordered if utc(item[0].time) <= moment], first_response)
        if doc is not None:
            out.append((moment, doc))
    return out


def appendable(latest: datetime | None, new_times: Sequence[datetime]) -> bool:
    """New events (in canonical order, all after the applied ones) extend the versions: each at or after
    the case's latest event time (`latest`, None: a new case) and the new event before it."""
    previous = latest
    for moment in new_times:
        if previous is not None and moment < previous:
            return False
        previous = moment
    return True


def running(steps: Iterable[tuple[datetime, T]]) -> list[tuple[datetime, T]]:
    """The state after the last step at each distinct time (steps in order, times not decreasing)."""
    out: list[tuple[datetime, T]] = []
    for moment, state in steps:
        if out and out[-1][0] == moment:
            out[-1] = (moment, state)
        else:
            out.append((moment, state))
    return out
