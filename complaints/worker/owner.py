"""One owner decides per case: a cross-process lock per case around load-decide-publish-save.

Two replicas of a service (or an HTTP action on one and a timer on the other) must not both
decide on the same case: each would publish, and only the second save would notice the conflict
— after publishing an event with the same deterministic id and other content. So every round
takes, for each of its cases, a lock shared by all the service's processes before it loads them,
and holds it until their new state is saved:

- PostgreSQL: transaction-scoped advisory locks (`pg_advisory_xact_lock`), one per case, taken in
  sorted order in one statement (no deadlock between rounds), released when the lock's
  transaction ends.
- SQLite (one machine): an exclusive `flock` on one of `STRIPES` lock files beside the database,
  taken in sorted order.

Within the lock the case is (re)loaded, so the second decider decides on the first one's result.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

STRIPES = 64
#: Rounds holding case locks at once, per process (each holds a pooled connection: the pool is 5 + 10).
SLOTS = 4


def case_key(service: str, complaint_id: str) -> int:
    """A stable signed 64-bit key per (service, case): PostgreSQL's advisory lock space."""
    digest = zlib.crc32(f"{service}\x1f{complaint_id}".encode()) | (zlib.adler32(complaint_id.encode()) << 32)
    return digest - (1 << 64) if digest >= 1 << 63 else digest


class CaseOwner:
    def __init__(self, engine: Engine, service: str) -> None:
        self.engine = engine
        self.service = service
        self.folder: Path | None = None
        self._slots = asyncio.Semaphore(SLOTS)
        if engine.dialect.name == "sqlite":
            database = engine.url.database
            base = Path(database) if database and database != ":memory:" else Path(os.getcwd()) / "memory"
            self.folder = base.with_name(f"{base.name}.{service}.locks")
            self.folder.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def held(self, complaint_ids: Iterable[str]) -> Iterator[None]:
        """Hold every case's lock (blocking; call it off the event loop) until the block ends."""
        ids = sorted(set(complaint_ids))
        if self.folder is not None:
            with ExitStack() as stack:
                for stripe in sorted({zlib.crc32(cid.encode()) % STRIPES for cid in ids}):
                    handle = stack.enter_context((self.folder / f"{stripe}.lock").open("a+b"))
                    fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
                yield
            return
        keys = sorted({case_key(self.service, cid) for cid in ids})
        with self.engine.connect() as conn, conn.begin():
            conn.execute(text("SELECT pg_advisory_xact_lock(s.k) FROM (SELECT k FROM unnest(CAST(:keys AS bigint[])) "
                              "AS k ORDER BY k) AS s"), {"keys": keys})
            yield

    @asynccontextmanager
    async def holding(self, complaint_ids: Iterable[str]) -> AsyncIterator[None]:
        """`held`, from the event loop: at most `SLOTS` rounds at once (each holds a connection while it
        waits and works, and needs another to load and save: the pool is never exhausted)."""
        async with self._slots:
            cm = self.held(complaint_ids)
            entering = asyncio.ensure_future(asyncio.to_thread(cm.__enter__))
            try:
                await asyncio.shield(entering)
            except asyncio.CancelledError:  # let go of the lock as soon as it is taken
                def release(f: asyncio.Future[None]) -> None:
                    if not f.cancelled() and f.exception() is None:
                        threading.Thread(target=cm.__exit__, args=(None, None, None), daemon=True).start()

                entering.add_done_callback(release)
                raise
            try:
                yield
            finally:
                await asyncio.to_thread(cm.__exit__, None, None, None)
