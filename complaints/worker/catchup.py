"""Timers wait until the worker has caught up with its partitions.

After a restart (or a rebalance) the topics may still hold what happened while nobody was deciding
— an offer made before an SLA's due time, an answer before the window closed. A timer deciding
before those records are consumed would decide on a stale case (a false `sla_breached`). So the
end offsets of the partitions just assigned are noted, and the timers wait until every one of them
is consumed (decided or parked). A partition with nothing to consume is caught up once the consumer
has seeked to its end (its committed offset).

On Tansu the end offset ("ListOffsets latest") can be too low when the last stored batch holds
several records (/work/shared/notes/tansu.md): the end is raised once to the highwater of the
first fetch response; the wait can still end early there, never late.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)


class CatchUp:
    def __init__(self) -> None:
        self.pending: dict[Any, int] = {}  # end offsets at assignment not consumed yet, per partition
        self.consumed: dict[Any, int] = {}  # the next offset after the last record decided, per partition
        self._refined: set[Any] = set()  # partitions whose end was raised once to the first fetch's highwater

    async def assigned(self, consumer: Any, service: str) -> None:
        try:
            tps = consumer.assignment()
            self.pending = dict(await consumer.highwaters(*tps)) if tps else {}
            self._refined = set()
        except Exception:  # the broker is away: wait at least for everything read so far
            log.exception("%s: end offsets at assignment unknown", service)
            self.pending = dict(self.consumed)

    def decided(self, messages: Iterable[Any]) -> None:
        for msg in messages:
            if msg.offset + 1 > self.consumed.get(msg.tp, -1):
                self.consumed[msg.tp] = msg.offset + 1

    async def done(self, consumer: Any) -> bool:
        left: dict[Any, int] = {}
        for tp, noted in self.pending.items():
            end = noted
            if tp not in self._refined:  # once: a moving end under live traffic would hold the timers forever
                fetched = _fetched_highwater(consumer, tp)
                if fetched:
                    end = max(noted, fetched)
                    self._refined.add(tp)
            got = self.consumed.get(tp)
            if end <= 0 or (got is not None and got >= end):
                continue
            # faust's read offset is the last offset it delivered (below the end) or where it seeked to:
            # at or past the end, the partition had nothing left to consume since assignment.
            read = consumer._read_offset.get(tp)
            if read is not None and read >= end:
                continue
            left[tp] = end
        self.pending = left
        return not left


def _fetched_highwater(consumer: Any, tp: Any) -> int:
    """The end offset the last fetch response reported (0 when unknown)."""
    try:
        return int(consumer.highwater(tp) or 0)
    except Exception:
        return 0
