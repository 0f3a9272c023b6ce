"""Run the live projector only while this replica holds the writer lease (storage/lease.py).

Every replica serves reads; the one holding the lease also projects. A reader asks for the lease
every `poll_s`; the writer checks every `check_s` that its lease session is alive and, once it is
gone, stops projecting at once (the task is cancelled: an uncommitted batch rolls back). A new
writer resumes from the offsets stored in the read model, as after any restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from services.projections.ingest.consumer import LiveProjector
from services.projections.storage.lease import WriterLease

log = logging.getLogger(__name__)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def project_while_writer(lease: WriterLease, projector: LiveProjector, stop: asyncio.Event,
                               poll_s: float = 1.0, check_s: float = 1.0) -> None:
    """Until `stop`: wait for the lease, project while it is held, and start over when it is lost."""
    try:
        while not stop.is_set():
            if not await asyncio.to_thread(lease.try_acquire):
                await _sleep(stop, poll_s)
                continue
            log.info("writer lease taken: this replica projects")
            # liveness counts from now: the time spent as a reader is no stall of this projector
            projector.status.progress_at, projector.status.failing_since = time.monotonic(), None
            own_stop = asyncio.Event()
            task = asyncio.create_task(projector.run(own_stop), name="projector")
            while not stop.is_set() and not task.done():
                await _sleep(stop, check_s)
                if not stop.is_set() and not await asyncio.to_thread(lease.still_held):
                    log.warning("writer lease lost: this replica stops projecting and serves reads")
                    task.cancel()
                    break
            own_stop.set()
            try:
                await asyncio.wait_for(task, 5.0)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            projector.status.highwater = {}  # a reader shows no lag of its own
            if stop.is_set() or lease.sqlite:
                break
            await asyncio.to_thread(lease.release)  # a fresh session asks again
    finally:
        await asyncio.to_thread(lease.release)
