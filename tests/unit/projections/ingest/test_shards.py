"""Replay shards: partitions grouped by number, and one failing shard stops the others."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition

from services.projections.ingest.replay import _all
from services.projections.ingest.shard import split


def test_partitions_are_split_by_number_across_topics() -> None:
    tps = [TopicPartition(t, p) for t in ("A", "B") for p in range(3)]
    assert split(tps, 2) == [[TopicPartition("A", 0), TopicPartition("A", 2), TopicPartition("B", 0),
                              TopicPartition("B", 2)], [TopicPartition("A", 1), TopicPartition("B", 1)]]
    assert split(tps, 1) == [tps] and split(tps, 8) == [[tp for tp in tps if tp.partition == p] for p in range(3)]


async def test_a_failing_shard_cancels_the_others_before_its_error_is_raised() -> None:
    stopped: list[str] = []

    async def slow() -> int:
        try:
            await asyncio.sleep(30)
            return 1
        finally:
            stopped.append("slow")

    async def failing() -> int:
        await asyncio.sleep(0.01)
        raise RuntimeError("shard broke")

    with pytest.raises(RuntimeError, match="shard broke"):
        await _all([slow(), failing()])
    assert stopped == ["slow"]
    assert await _all([asyncio.sleep(0, result=2), asyncio.sleep(0, result=3)]) == [2, 3]
