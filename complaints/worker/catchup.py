"""Timers wait until the worker has caught up with its partitions.

After a restart (or a rebalance) the topics may still hold what happened while nobody was deciding
— an offer made before an SLA's due time, an answer before the window closed. A timer deciding
before those records are consumed would decide on a stale case (a false `sla_breached`). So the
end offsets of the partitions just assigned are noted, and the timers wait until every one of them
is consumed (decided or parked). A partition with nothing to consume is caught up once its fetch
position reaches the end with nothing read.

On Tansu the end offset ("ListOffsets latest") can be too low when the last stored batch holds
several records (/work/shared/notes/tansu.md): the wait can end early there, never late.
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

    async def assigned(self, consumer: Any, service: str) -> None:
        try:
            tps = consumer.assignment()
            self.pending = dict(await consumer.highwaters(*tps)) if tps else {}
        except Exception:  # the broker is away: wait at least for everything read so far
            log.exception("%s: end offsets at assignment unknown", service)
            self.pending = dict(self.consumed)

    def decided(self, messages: Iterable[Any]) -> None:
        for msg in messages:
            if msg.offset + 1 > self.consumed.get(msg.tp, -1):
                self.consumed[msg.tp] = msg.offset + 1

    async def done(self, consumer: Any) -> bool:
        left: dict[Any, int] = {}
        for tp, end in self.pending.items():
            got = self.consumed.get(tp)
            if got is not None and got >= end:
                continue
            if got is None and consumer._read_offset.get(tp) is None:  # nothing of it read since assignment
                position = await consumer.position(tp)
                if position is not None and position >= end:
                    continue
            left[tp] = end
        self.pending = left
        return not left
