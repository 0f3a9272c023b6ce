"""Hand records on in event-time order across partitions, so a case's events arrive in canonical order.

A case's events live on four topics. Read flat out, a fetch returns whole partitions
at a time and one topic runs days of event time ahead of another, so many events
would arrive after a later event of their case and cost a refold. The aligner keeps
what was fetched per partition and releases, partition by partition and in offset
order, only records no older partition can still undercut: those no later than the
newest record seen on every partition that may still deliver more. Partitions whose
buffer is full (their share of `buffer_records`) are paused, and once all buffers together
hold `buffer_records`, every partition but those the floor waits for. It only orders the work;
correctness never depends on it (the writer refolds whatever still arrives out of
order), and if nothing can be released for `stall_s` it lets everything buffered go.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition


def record_time(record: Any) -> datetime | None:
    for key, value in record.headers or ():
        if key == "ce_time" and value:
            try:
                when = datetime.fromisoformat(value.decode())
            except (ValueError, UnicodeDecodeError):
                return None
            return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return None


def _order(when: datetime | None) -> datetime:
    return when if when is not None else _EARLIEST


_EARLIEST = datetime.min.replace(tzinfo=UTC)


class Aligner:
    def __init__(self, consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition],
                 buffer_records: int = 12_000, stall_s: float = 2.0) -> None:
        self.consumer = consumer
        self.partitions = list(partitions)
        # Buffered records are most of the projector's memory: the budget is for all partitions together
        # (a fetch can overshoot it by one fetch's records).
        self.budget = buffer_records
        self.limit = max(64, buffer_records // max(1, len(self.partitions)))
        self.stall_s = stall_s
        self.buffers: dict[TopicPartition, deque[tuple[datetime | None, Any]]] = {tp: deque() for tp in partitions}
        self.newest: dict[TopicPartition, datetime] = {}
        self.fetched: dict[TopicPartition, int] = {}
        self._last_release = time.monotonic()

    def reset(self, positions: dict[TopicPartition, int]) -> None:
        """After a seek: drop what was buffered, resume everything."""
        for buf in self.buffers.values():
            buf.clear()
        self.newest.clear()
        self.fetched = dict(positions)
        self.consumer.resume(*self.partitions)

    def buffered(self) -> int:
        return sum(len(b) for b in self.buffers.values())

    def fetch_size(self, most: int) -> int:
        """Records to ask the next fetch for (one fetch returns up to that many of ONE partition): at most
        a partition's share while some partition that has more to deliver has delivered nothing yet, or
        while the buffers are over budget; else `most`."""
        if self.buffered() >= self.budget:
            return min(most, self.limit)
        waiting = any(tp not in self.newest and self._may_deliver_more(tp) for tp in self.partitions)
        return min(most, self.limit) if waiting else most

    def _may_deliver_more(self, tp: TopicPartition) -> bool:
        highwater = self.consumer.highwater(tp)
        return highwater is None or self.fetched.get(tp, 0) < highwater

    def feed(self, batch: dict[TopicPartition, list[Any]], limit: int | None = None) -> dict[TopicPartition, list[Any]]:
        """Take a fetch's records; return those that may be applied now (per partition, in offset order),
        at most `limit`, oldest first."""
        for tp, records in batch.items():
            buf = self.buffers[tp]
            for rec in records:
                when = record_time(rec)
                buf.append((when, rec))
                if when is not None and (tp not in self.newest or when > self.newest[tp]):
                    self.newest[tp] = when
            if records:
                self.fetched[tp] = records[-1].offset + 1
        pending = [tp for tp in self.partitions if self._may_deliver_more(tp)]
        floor = None if any(tp not in self.newest for tp in pending) else min(
            (self.newest[tp] for tp in pending), default=None)
        everything = not pending or time.monotonic() - self._last_release > self.stall_s
        def eligible(tp: TopicPartition) -> bool:
            buf = self.buffers[tp]
            return bool(buf) and (everything or buf[0][0] is None or (floor is not None and buf[0][0] <= floor))

        out: dict[TopicPartition, list[Any]] = {}
        heap = [(_order(self.buffers[tp][0][0]), i, tp) for i, tp in enumerate(self.partitions) if eligible(tp)]
        heapq.heapify(heap)
        released = 0
        while heap and (limit is None or released < limit):
            _, i, tp = heapq.heappop(heap)
            out.setdefault(tp, []).append(self.buffers[tp].popleft()[1])
            released += 1
            if eligible(tp):
                heapq.heappush(heap, (_order(self.buffers[tp][0][0]), i, tp))
        if out or not self.buffered():
            self._last_release = time.monotonic()
        self._flow(pending)
        return out

    def _flow(self, pending: list[TopicPartition]) -> None:
        """Fetch only partitions with room; over the budget, only those the floor waits for."""
        if self.buffered() >= self.budget:
            low = min((self.newest[tp] for tp in pending if tp in self.newest), default=None)
            wanted = [tp for tp in pending if tp not in self.newest or self.newest[tp] == low]
        else:
            wanted = [tp for tp in self.partitions if len(self.buffers[tp]) < self.limit]
        self.consumer.pause(*(tp for tp in self.partitions if tp not in wanted))
        self.consumer.resume(*wanted)
