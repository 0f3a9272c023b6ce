"""Two stages in flight: batch N is written (in a thread) while batch N+1 is fetched and decoded.

Batches are still written one at a time and in order: `submit` waits for the previous
write before starting the next, so every guarantee of the writer holds as before. The
overlap pays because the database work (SQLite's C code, PostgreSQL round trips) runs
without the GIL while the event loop reads and another thread decodes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Generic, TypeVar

T = TypeVar("T")


class WriteAhead(Generic[T]):
    def __init__(self) -> None:
        self._inflight: asyncio.Future[T] | None = None

    @property
    def busy(self) -> bool:
        """A write is in flight (the caller may keep filling its next batch)."""
        return self._inflight is not None and not self._inflight.done()

    async def submit(self, write: Awaitable[T]) -> T | None:
        """Wait for the write in flight (its result, None if none), then start this one."""
        previous = await self.drain()
        self._inflight = asyncio.ensure_future(write)
        return previous

    async def drain(self) -> T | None:
        """Wait for the write in flight; its result (None if none). Its failure is raised here."""
        inflight, self._inflight = self._inflight, None
        return None if inflight is None else await inflight

    async def abandon(self) -> None:
        """After a failure elsewhere: let the write in flight finish (its outcome ignored)."""
        inflight, self._inflight = self._inflight, None
        if inflight is not None:
            await asyncio.gather(inflight, return_exceptions=True)
