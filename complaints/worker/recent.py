"""The ids of events this process recently emitted and saved: their echo needs no work.

Every worker consumes the topics it writes to (a case's state is the fold of all its
events), so each event it emits comes back to it. That echo is already applied to the
case — the runtime folds what it emits into the state it saves — so it is a duplicate.
Recognising it from the record's `ce_id` header skips the decode, the state load and the
plan for roughly a third of a worker's input. An id is remembered only after the state
that applied it was saved, so the short-cut answers exactly what the full path would;
an id that has aged out simply takes the full path.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from complaints.worker.tuning import ECHO_MEMORY

#: How many ids are remembered (~100 bytes each): the echo comes back on the worker's own
#: topic, within a few fetches even while the worker drains a backlog of other topics.
CAPACITY = ECHO_MEMORY


class RecentlyEmitted:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._ids: set[bytes] = set()
        self._order: deque[bytes] = deque()
        self._capacity = capacity

    def add(self, event_ids: Iterable[str]) -> None:
        for event_id in event_ids:
            key = event_id.encode()
            if key in self._ids:
                continue
            self._ids.add(key)
            self._order.append(key)
            if len(self._order) > self._capacity:
                self._ids.discard(self._order.popleft())

    def echo(self, headers: Sequence[tuple[str, Any]] | None) -> bool:
        """Whether a consumed record (by its `ce_id` header) is one of these events."""
        for name, value in headers or ():
            if name == "ce_id":
                return value in self._ids
        return False

    def __len__(self) -> int:
        return len(self._order)
