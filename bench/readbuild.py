"""The read bench's build: the synthetic cases of `bench.readgen` written the way a replay writes them.

A bulk generation (`storage/bulk.py`), finished at the end; batches of `replay_batch_records`; and, like a
replay's shards (`ingest/shard.py`), one process per group of partition numbers (default: the replay's
`replay_processes`), each folding its own cases and writing under the generation's write lock
(`apply_batch(optimistic=True)`). Making the records (generating, encoding, decoding) is timed apart:
every process makes its part of a segment of cases, all wait for each other, then the segment is
applied while the clock runs (`Built.write_s`: wall clock, every process together).
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from typing import Any

from bench.readgen import Built, records

SEGMENT_CASES = 20_000  # made ahead of each timed stretch: bounds what a process holds
WAIT_S = 1_800.0


def build(gen: Any, cases: int, partitions: int, batch: int, processes: int | None) -> Built:
    from services.projections.options import ProjectionOptions
    from services.projections.storage.bulk import finish
    from services.projections.storage.store import Generation

    assert isinstance(gen, Generation)
    n = max(1, min(processes or ProjectionOptions().replay_processes, partitions))
    built = Built(cases=cases, processes=n)
    t0 = time.perf_counter()
    if n == 1:
        _apply_all(gen, cases, partitions, batch, (0, 1), None, built)
    else:
        _in_processes(gen, cases, partitions, batch, n, built)
    t1 = time.perf_counter()
    finish(gen)  # a bulk generation's deferred indexes and a durable checkpoint: part of the build
    built.finish_s = time.perf_counter() - t1
    built.write_s += built.finish_s
    built.make_s = (t1 - t0) - built.write_s + built.finish_s
    return built


def _in_processes(gen: Any, cases: int, partitions: int, batch: int, n: int, built: Built) -> None:
    ctx = multiprocessing.get_context("spawn")
    sync, results = ctx.Barrier(n + 1, timeout=WAIT_S), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(gen.id, gen.location, cases, partitions, batch, (k, n), sync, results))
             for k in range(n)]
    for p in procs:
        p.start()
    stop = threading.Event()
    watch = threading.Thread(target=_watch, args=(procs, sync, stop), daemon=True)
    watch.start()
    outcomes: list[int | str] = []
    try:
        try:
            for _ in range(-(-cases // SEGMENT_CASES)):
                sync.wait()  # every process has made its part of the segment
                t0 = time.perf_counter()
                sync.wait()  # and applied it
                built.write_s += time.perf_counter() - t0
            outcomes = [results.get(timeout=WAIT_S) for _ in procs]
        except threading.BrokenBarrierError:  # a process failed: its outcome says why
            outcomes = [_outcome(results) for _ in procs]
    finally:
        stop.set()
        sync.abort()
        for p in procs:
            p.join(timeout=60)
    failed = [o for o in outcomes if isinstance(o, str)]
    if failed:
        raise RuntimeError(f"a build process failed:\n{failed[0]}")
    built.events = sum(o for o in outcomes if isinstance(o, int))


def _watch(procs: list[Any], sync: Any, stop: threading.Event) -> None:
    """Break the barrier when a process died without saying why (e.g. at start-up): nobody waits for it."""
    while not stop.wait(1.0):
        if any(p.exitcode not in (None, 0) for p in procs):
            sync.abort()
            return


def _outcome(results: Any) -> int | str:
    try:
        return results.get(timeout=5)  # type: ignore[no-any-return]
    except queue.Empty:
        return "a process exited without a result"


def _worker(gen_id: int, location: str, cases: int, partitions: int, batch: int, shard: tuple[int, int],
            sync: Any, results: Any) -> None:
    import traceback

    from services.projections.storage.store import Generation, open_engine

    engine = open_engine(location, bulk=True)
    try:
        built = Built()
        _apply_all(Generation(gen_id, location, "building", engine), cases, partitions, batch, shard, sync, built)
        results.put(built.events)
    except BaseException:
        sync.abort()
        results.put(traceback.format_exc())
    finally:
        engine.dispose()


def _apply_all(gen: Any, cases: int, partitions: int, batch: int, shard: tuple[int, int], sync: Any,
               built: Built) -> None:
    """This shard's records, segment by segment: made, then applied in batches (timed here when alone)."""
    from complaints.readmodel.casedoc import policy_first_response
    from services.projections.ingest.records import classify
    from services.projections.ingest.writer import apply_batch
    from services.projections.tuning import batch_gc

    sla = policy_first_response()  # as the projector's wiring passes it
    optimistic = shard[1] > 1  # fold before taking the write lock: the other processes write meanwhile
    chunks = records(cases, partitions, shard=shard)
    pending: list[Any] = []
    with batch_gc():
        for first in range(0, cases, SEGMENT_CASES):
            for _ in range(first, min(first + SEGMENT_CASES, cases), 2_000):  # records() yields 2,000 cases a go
                pending += [classify(r) for r in next(chunks)]
            last = first + SEGMENT_CASES >= cases
            if sync is not None:
                sync.wait()
            t0 = time.perf_counter()
            while len(pending) >= batch or (last and pending):
                items, pending = pending[:batch], pending[batch:]
                built.events += apply_batch(gen, items, optimistic, first_response=sla).applied
            built.write_s += time.perf_counter() - t0
            if sync is not None:
                sync.wait()
