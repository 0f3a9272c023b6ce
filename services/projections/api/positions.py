"""Read-your-writes: wait until the projection has applied given log positions.

A position token is `topic:partition:offset` (the offset of the record written);
several may be joined with commas. The projection has applied a position once its
stored next offset for that topic/partition is greater than the offset.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence

from starlette.concurrency import run_in_threadpool

from complaints.kafka.producer import Position
from schemas.events import TOPICS
from services.projections.storage import queries
from services.projections.storage.store import Catalog


class NotCaughtUp(Exception):
    """Answered as 409: the read would not include the positions the client asked for."""

    def __init__(self, missing: list[tuple[Position, int]], waited: float) -> None:
        self.missing = missing
        self.waited = waited
        at = ", ".join(f"{p} (projected up to offset {n - 1})" if n else f"{p} (nothing projected there yet)"
                       for p, n in missing)
        super().__init__(f"the projection has not caught up to {at} after waiting {waited:.1f} s; retry later")


def parse_positions(raw: str, topics: Sequence[str] = TOPICS) -> list[Position]:
    """Parse `topic:partition:offset[,...]` (topics as named on the broker); ValueError otherwise."""
    out = []
    for token in (t.strip() for t in raw.split(",")):
        if not token:
            continue
        try:
            pos = Position.parse(token)
        except ValueError:
            raise ValueError(f"{token!r} is not a position; expected topic:partition:offset") from None
        if pos.topic not in topics:
            raise ValueError(f"{pos.topic!r} is not a projected topic ({', '.join(topics)})")
        if pos.partition < 0 or pos.offset < 0:
            raise ValueError(f"{token!r}: partition and offset must not be negative")
        out.append(pos)
    return out


def missing_positions(applied: dict[tuple[str, int], int], wanted: list[Position]) -> list[tuple[Position, int]]:
    out = []
    for p in wanted:
        stored = applied.get((p.topic, p.partition), 0)
        if stored <= p.offset:
            out.append((p, stored))
    return out


async def wait_for_positions(catalog: Catalog, wanted: list[Position], timeout: float,
                             wake: Callable[[], asyncio.Event] | None = None) -> None:
    """Return once every position is applied; raise `NotCaughtUp` after `timeout` seconds."""
    if not wanted:
        return
    started = time.monotonic()
    while True:
        gen = await run_in_threadpool(catalog.ensure_active)
        missing = missing_positions(await run_in_threadpool(queries.offsets, gen), wanted)
        if not missing:
            return
        left = timeout - (time.monotonic() - started)
        if left <= 0:
            raise NotCaughtUp(missing, time.monotonic() - started)
        pause = min(0.05, left)
        if wake is None:
            await asyncio.sleep(pause)
        else:  # the in-process projector sets this after each commit
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake().wait(), pause)
