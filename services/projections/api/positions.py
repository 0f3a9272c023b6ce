"""Read-your-writes: wait until the projection has applied given log positions.

A position token is `topic:partition:offset` (the offset of the record written);
several may be joined with commas. The projection has applied a position once its
stored next offset for that topic/partition is greater than the offset.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI
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


def _token(topics: Sequence[str]) -> str:
    return f"({'|'.join(re.escape(t) for t in topics)}):([0-9]{{1,9}}):([0-9]{{1,18}})"


def positions_pattern(topics: Sequence[str] = TOPICS) -> str:
    """The one definition of a well-formed `min_position`: what the server reads and the OpenAPI says.

    Comma-separated `topic:partition:offset` tokens on these topics (offsets fit 64 bits), spaces
    around tokens and empty tokens allowed.
    """
    token = _token(topics)
    return rf"^ *({token})? *(, *({token})? *)*$"


def parse_positions(raw: str, topics: Sequence[str] = TOPICS) -> list[Position]:
    """Parse `topic:partition:offset[,...]` (topics as named on the broker); ValueError otherwise."""
    token_re = re.compile(_token(topics))
    out = []
    for token in (t.strip(" ") for t in raw.split(",")):
        if not token:
            continue
        match = token_re.fullmatch(token)
        if match is None:
            topic, sep, _ = token.rpartition(":")
            topic = topic.rpartition(":")[0] if sep else ""
            if topic and topic not in topics:
                raise ValueError(f"{topic!r} is not a projected topic ({', '.join(topics)})")
            raise ValueError(f"{token!r} is not a position; expected topic:partition:offset")
        out.append(Position(match.group(1), int(match.group(2)), int(match.group(3))))
    return out


def missing_positions(applied: dict[tuple[str, int], int], wanted: list[Position]) -> list[tuple[Position, int]]:
    out = []
    for p in wanted:
        stored = applied.get((p.topic, p.partition), 0)
        if stored <= p.offset:
            out.append((p, stored))
    return out


class StoredOffsets:
    """The read model's stored offsets, read once for all the readers waiting on `min_position`.

    One read at a time (one thread hop and one query), shared by every waiter that asks while it is in
    flight: with N readers waiting, the database sees one read per commit or pause, not N (each waiter
    used to read them itself every 50 ms, which under a few dozen waiters kept the event loop busy).
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.reads = 0
        self._latest: tuple[int, dict[tuple[str, int], int]] | None = None  # (read number, offsets)
        self._task: asyncio.Future[None] | None = None
        self._started = 0

    async def read(self, newer_than: int = 0) -> tuple[int, dict[tuple[str, int], int]]:
        """(its number, the offsets) of a read started after read number `newer_than` (0: any read)."""
        while self._latest is None or self._latest[0] <= newer_than:
            if self._task is None or self._task.done():
                self._started += 1
                self._task = asyncio.ensure_future(self._fetch(self._started))
            await asyncio.shield(self._task)
        return self._latest

    async def _fetch(self, number: int) -> None:
        offsets = await run_in_threadpool(lambda: queries.offsets(self.catalog.ensure_active()))
        self.reads += 1
        if self._latest is None or number > self._latest[0]:
            self._latest = (number, offsets)


async def wait_for_positions(stored: StoredOffsets, wanted: list[Position], timeout: float,
                             wake: Callable[[], asyncio.Event] | None = None) -> None:
    """Return once every position is applied; raise `NotCaughtUp` after `timeout` seconds."""
    if not wanted:
        return
    started = time.monotonic()
    seen = 0
    while True:
        woken = wake() if wake is not None else None  # taken before the read: a commit after it wakes us
        seen, applied = await stored.read(seen)
        missing = missing_positions(applied, wanted)
        if not missing:
            return
        left = timeout - (time.monotonic() - started)
        if left <= 0:
            raise NotCaughtUp(missing, time.monotonic() - started)
        pause = min(0.05, left)
        if woken is None:
            await asyncio.sleep(pause)
        else:  # the in-process projector sets this after each commit
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), pause)


def document_positions(app: FastAPI, topics: Sequence[str]) -> None:
    """Make the OpenAPI say exactly which `min_position` / `X-Min-Position` values are read (not `null`)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    for param in operation.get("parameters", []):
                        if param.get("name", "").lower() in ("min_position", "x-min-position"):
                            param["schema"] = {"type": "string", "pattern": positions_pattern(topics),
                                               "title": param.get("schema", {}).get("title", param["name"])}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
