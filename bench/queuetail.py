"""Where the queue's p99 under 8 clients goes: each request's wall time split into its parts.

    python -m bench.queuetail run --location URL --generation N [--clients 8] [--passes 25]
                                  [--variant base] [--out FILE.json]
    python -m bench.queuetail build --cases 100000 --url CATALOG_URL   # a model to profile (kept)
    python -m bench.queuetail explain --location URL --generation N --request "status=closed sort=urgency"

`run`: the read phase's queue block (`bench/read.py` `_client`: every filter × sort, its first page and the
next, each followed by a bare primary-key lookup, one unmeasured pass first) from `--clients` processes at
once, then from one process alone. Beside each request's wall time, from the kernel's counters of the
client process and, on PostgreSQL, of its backend process (`/proc/<pid>/schedstat`: time on a CPU, time
runnable but waiting for one; the backend runs on the same machine) and the client's time in garbage
collection (`gc.callbacks`); the rest is neither (I/O, locks, a round trip's hand-over). The summary is
`bench/queuetailfig.py`. `--variant` changes how the clients connect, to A/B a change before making it:
`base` (the code as it is), `txn` (reads in a transaction, as before `store.read_view`), `autocommit` (every
statement, the bare lookup's too, in autocommit), `noping` (no pool pre-ping),
`freeze` (`gc.freeze()` once started, before the warm-up, as `complaints.http.startup_frozen`), `freezewarm` (after the
warm-up pass); several: `autocommit,freeze`. The read phase's clients (bench/read.py) freeze as `freeze` does.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import time
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from bench.runwait import schedstat

app = typer.Typer(add_completion=False)


def _sched(pid: int | None) -> tuple[float, float]:
    """(ms on a CPU, ms runnable waiting for one) of a task so far (`bench.runwait.schedstat`); (0, 0) for none.
    A running task's own CPU is `time.thread_time`."""
    if pid is None:
        return 0.0, 0.0
    on_cpu, waiting = schedstat(f"/proc/{pid}/schedstat")
    return on_cpu * 1000, waiting * 1000


def _blocked() -> tuple[int, int]:
    """(times this process blocked: voluntary context switches, bytes it read from storage, not the page cache)."""
    with open("/proc/self/status") as f:
        switches = next(int(line.split()[1]) for line in f if line.startswith("voluntary_ctxt_switches"))
    with open("/proc/self/io") as f:
        read = next(int(line.split()[1]) for line in f if line.startswith("read_bytes"))
    return switches, read


def open_generation(location: str, generation: int, variant: str = "base") -> Any:
    """The built generation as a reader opens it (`store.open_engine`), or as `variant` would."""
    from sqlalchemy import create_engine

    from services.projections.storage.store import Generation, is_sqlite, open_engine

    class InTransaction(Generation):
        """Reads in a transaction, as before `store.read_view` (BEGIN, the statements, ROLLBACK)."""

        @property
        def reads(self) -> Any:
            return self.engine

    wants = set(variant.split(",")) - {"base"}
    if "noping" in wants and not is_sqlite(location):
        engine = create_engine(location, connect_args={"prepare_threshold": None}, hide_parameters=True)
    else:
        engine = open_engine(location)
    if "autocommit" in wants:
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return (InTransaction if "txn" in wants else Generation)(generation, location, "active", engine)


def _backend_pid(gen: Any) -> int | None:
    if gen.engine.dialect.name != "postgresql":
        return None
    with gen.engine.connect() as conn:
        return int(conn.connection.dbapi_connection.info.backend_pid)


def client(location: str, generation: int, variant: str, k: int, passes: int, ids: list[str], ready: Any,
           results: Any) -> None:
    """One client process: `bench/read.py` `_client`'s loop, each sample with its parts."""
    from sqlalchemy import text

    from bench.read import WARMUP, _queue_requests, bare_lookup, queue_pages

    gen = open_generation(location, generation, variant)
    pk = text(f"SELECT doc FROM {gen.tables.cases.name} WHERE complaint_id = :id")
    requests = _queue_requests()
    in_gc = [0.0, 0.0]  # total ms, start of the current collection

    def on_gc(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            in_gc[1] = time.perf_counter()
        else:
            in_gc[0] += (time.perf_counter() - in_gc[1]) * 1000

    bare = partial(bare_lookup, gen, pk)
    pages = partial(queue_pages, gen)

    bare(ids[0])
    backend = _backend_pid(gen)
    if "freeze" in variant.split(","):
        gc.collect()  # as a service process does once started (`complaints.http.startup_frozen`), before its reads
        gc.freeze()
    for _, f, sort in requests * WARMUP:
        pages(f, sort)
    if "freezewarm" in variant.split(","):
        gc.freeze()  # what the process holds after its warm-up too
    gc.callbacks.append(on_gc)
    me = os.getpid()
    samples: list[list[Any]] = []
    ready.wait()
    for i in range(passes):
        for j in range(len(requests)):
            name, f, sort = requests[(j + k * 5 + i) % len(requests)]
            c0, b0, g0, u0, t0 = _sched(me), _sched(backend), in_gc[0], time.thread_time(), time.perf_counter()
            d0 = _blocked()
            n = pages(f, sort)
            t1, u1 = time.perf_counter(), time.thread_time()
            c1, b1, d1 = _sched(me), _sched(backend), _blocked()
            samples.append([name, n, k, t0, (t1 - t0) * 1000, (u1 - u0) * 1000, c1[1] - c0[1], b1[0] - b0[0],
                            b1[1] - b0[1], in_gc[0] - g0, d1[0] - d0[0], d1[1] - d0[1]])
            t0 = time.perf_counter()
            bare(ids[(i * 31 + j + k) % len(ids)])
            samples.append(["bare PK lookup", 1, k, t0, (time.perf_counter() - t0) * 1000, 0, 0, 0, 0, 0, 0, 0])
    gen.engine.dispose()
    results.put(samples)


FIELDS = ("request", "pages", "client", "start_s", "wall_ms", "cpu_ms", "runq_ms", "backend_cpu_ms",
          "backend_runq_ms", "gc_ms", "blocked", "disk_bytes")


def under_clients(location: str, generation: int, variant: str, clients: int, passes: int, spy: str = "",
                  ) -> list[dict[str, Any]]:
    """Every sample of `clients` client processes at once (spawned: no connection crosses a fork); `spy`: a
    py-spy profile (raw, `python -m bench.spy`) of the first client, sampled without stopping it."""
    import random
    import signal
    import subprocess
    import sys

    from sqlalchemy import func, select

    from bench.readgen import sample_ids

    gen = open_generation(location, generation)
    with gen.engine.connect() as conn:
        cases = int(conn.execute(select(func.count()).select_from(gen.tables.cases)).scalar_one())
    gen.engine.dispose()
    rng = random.Random(7)  # the ids bench/read.py reads
    ids = sample_ids(rng, cases)
    ctx = multiprocessing.get_context("spawn")
    ready, results = ctx.Barrier(clients), ctx.Queue()
    procs = [ctx.Process(target=client, args=(location, generation, variant, k, passes, ids, ready, results))
             for k in range(clients)]
    for proc in procs:
        proc.start()
    command = [str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking", "-r", "200", "-f", "raw", "-o",
               spy, "-p", str(procs[0].pid)]
    spying = subprocess.Popen(command, stdout=subprocess.DEVNULL) if spy else None
    got = [results.get(timeout=1_800) for _ in procs]
    if spying is not None:
        spying.send_signal(signal.SIGINT)
        spying.wait(timeout=60)
    for proc in procs:
        proc.join()
    return [dict(zip(FIELDS, s, strict=True)) for samples in got for s in samples]


@app.command()
def run(location: Annotated[str, typer.Option()], generation: Annotated[int, typer.Option()] = 1,
        clients: Annotated[int, typer.Option()] = 8, passes: Annotated[int, typer.Option()] = 25,
        alone_passes: Annotated[int, typer.Option()] = 5, variant: Annotated[str, typer.Option()] = "base",
        out: Annotated[str, typer.Option()] = "", spy: Annotated[str, typer.Option()] = "") -> None:
    from bench.queuetailfig import machine, report

    before = machine()
    loaded = under_clients(location, generation, variant, clients, passes, spy)
    during = machine(before)
    alone = under_clients(location, generation, variant, 1, alone_passes) if alone_passes else []
    result = {"location": location.rsplit("@", 1)[-1], "variant": variant, "clients": clients, "passes": passes,
              "machine_during": during, "loaded": loaded, "alone": alone}
    if out:
        Path(out).write_text(json.dumps(result))
    print(report(result))


@app.command()
def build(cases: Annotated[int, typer.Option()], url: Annotated[str, typer.Option(help="catalog URL")]) -> None:
    """A fresh generation of `cases` cases at `url` (`bench.readgen.built_model`), kept: prints its location."""
    from bench.readgen import built_model

    with built_model(url, cases) as (built, gen):
        print(json.dumps({"location": gen.location, "generation": gen.id, "events": built.events,
                          "write_s": round(built.write_s, 1)}))


@app.command()
def explain(location: Annotated[str, typer.Option()], request: Annotated[str, typer.Option()],
            generation: Annotated[int, typer.Option()] = 1) -> None:
    """The plans of one request's statements, first page and the next (PostgreSQL: EXPLAIN ANALYZE, BUFFERS)."""
    from bench.queuetailfig import plans

    print(plans(open_generation(location, generation), request))


if __name__ == "__main__":
    app()
