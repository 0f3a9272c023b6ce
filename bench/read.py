"""The `read` phase: the read side at N cases (100k by default, 1M with `--full`), on SQLite and PostgreSQL.

Build: `bench.readgen` writes N synthetic cases' events straight through the projector's batch writer
(`ingest.writer.apply_batch`, the same code the live projector and a replay run), into a fresh
generation; the writer's events/s and the bytes on disk per event are reported.

Reads: the read functions the API's routes call (`storage/queries.py`, `storage/kpistore.py`, the
views that render them), in this process, without HTTP. Each figure stands beside the same
database's bare primary-key lookup (`SELECT doc FROM cases WHERE complaint_id = ?`) measured in the
same run, alone and under the same 8 concurrent clients (separate processes, each its own
interpreter and connection pool: threads in one process measured its GIL, not the database).
Then the service itself over HTTP, on the same generation: its RSS under 8 client processes running the
heaviest reads, and the live lag meanwhile (`bench/readload.py`); the RSS shown here is this reading process's.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import text

from bench import readload
from bench.context import Figure, Run, scratch_schema
from bench.gcwatch import GcWatch
from bench.httpload import percentile
from bench.procs import rss_mb
from bench.readgen import CHANNELS, END, PER_DAY, built_model, sample_ids
from bench.runwait import RunWait
from complaints.http import startup_frozen
from complaints.readmodel.queue import QueueFilter

CLIENTS = 8
#: Queue passes per client, measured (`Sizes.read_queue_passes`, 25 unless told), after WARMUP unmeasured ones.
PASSES, WARMUP = 25, 1
NOW = END + timedelta(days=3)
#: The queue `as_of` reads (name, filter, sort), at each of the block's moments (also `bench.asofread`).
AS_OF_QUERIES = (("open=true sort=urgency", QueueFilter(open=True), "urgency"),
                 ("default sort=newest", QueueFilter(), "newest"),
                 ("open=true&level=supervisor sort=urgency", QueueFilter(open=True, level="supervisor"), "urgency"),
                 ("breached=true sort=oldest", QueueFilter(breached=True), "oldest"))


def _ms(fn: Callable[[], Any], times: list[float]) -> None:
    t0 = time.perf_counter()
    fn()
    times.append((time.perf_counter() - t0) * 1000)


def _stats(times: list[float]) -> dict[str, float]:
    return {"n": len(times), "p50_ms": round(percentile(times, 50), 2), "p99_ms": round(percentile(times, 99), 2),
            "max_ms": round(max(times), 2)}


def bare_lookup(gen: Any, pk: Any, cid: str) -> None:
    """The ceiling: one case's document by primary key."""
    with gen.engine.connect() as conn:
        conn.execute(pk, {"id": cid}).scalar()


def queue_pages(gen: Any, f: Any, sort: str) -> int:
    """A queue request as the API answers it: the first 50-row page and, when there is one, the next."""
    from complaints.readmodel.queue import Cursor
    from services.projections.api.views import case_summary
    from services.projections.storage import queries

    items, nxt = queries.list_cases(gen, f, sort, None, 50, NOW)
    [case_summary(c, NOW) for c in items]
    if nxt is None:
        return 1
    more, _ = queries.list_cases(gen, f, sort, Cursor.decode(nxt.encode(), sort), 50, NOW)  # the next page
    [case_summary(c, NOW) for c in more]
    return 2


def _queue_requests() -> list[tuple[str, Any, str]]:
    filters: list[tuple[str, QueueFilter]] = [
        ("default", QueueFilter()), ("open=true", QueueFilter(open=True)), ("open=false", QueueFilter(open=False)),
        ("status=escalated", QueueFilter(status=("escalated",))),
        ("status=received,reopened", QueueFilter(status=("received", "reopened"))),
        ("status=closed", QueueFilter(status=("closed",))),
        ("open=true&level=supervisor", QueueFilter(open=True, level="supervisor")),
        ("level=executive", QueueFilter(level="executive")), ("department=finance", QueueFilter(department="finance")),
        ("channel=social", QueueFilter(channel="social")), ("breached=true", QueueFilter(breached=True)),
        ("breached=false", QueueFilter(breached=False)), ("customer=cust-7", QueueFilter(customer="cust-7")),
        ("assignee=sam", QueueFilter(assignee="sam")), ("unassigned=true", QueueFilter(unassigned=True)),
        ("received in one week", QueueFilter(received_from=END - timedelta(days=14),
                                             received_to=END - timedelta(days=7))),
    ]
    return [(f"{name} sort={sort}", f, sort) for name, f in filters for sort in ("urgency", "newest", "oldest")]


def _client(url: str, k: int, ids: list[str], passes: int, ready: Any, results: Any) -> None:
    """One client process (its own interpreter and connection pool, as a service worker or replica has): every
    filter × sort `passes` times in its own rotation, first page and the next from its cursor, each followed by a
    bare primary-key lookup; per request the mean of the two pages. One pass before the clock starts is not
    measured (`WARMUP`): a running service has its statements built and its pages cached."""
    from services.projections.storage.store import Catalog

    catalog = Catalog(url)
    gen = catalog.active()
    assert gen is not None
    pk = text(f"SELECT doc FROM {gen.tables.cases.name} WHERE complaint_id = :id")
    requests = _queue_requests()
    per_request: dict[str, list[float]] = {name: [] for name, _, _ in requests}
    waits: dict[str, list[float]] = {name: [] for name, _, _ in requests}
    bare8: list[float] = []
    run_wait = RunWait(gen.engine)

    bare = partial(bare_lookup, gen, pk)
    pages = partial(queue_pages, gen)

    bare(ids[0])  # connect before the clock starts
    with startup_frozen():  # as a service process serves, once started (app.py frozen_after_startup)
        for _, f, sort in requests * WARMUP:
            pages(f, sort)
        ready.wait()
        for i in range(passes):
            for j in range(len(requests)):
                name, f, sort = requests[(j + k * 5 + i) % len(requests)]
                t0, w0 = time.perf_counter(), run_wait.seconds()
                n = pages(f, sort)
                per_request[name].append((time.perf_counter() - t0) * 1000 / n)
                waits[name].append((run_wait.seconds() - w0) * 1000 / n)
                _ms(partial(bare, ids[(i * 31 + j + k) % len(ids)]), bare8)
    catalog.dispose()
    results.put((per_request, bare8, waits))


def _queue_under_clients(url: str, ids: list[str], passes: int) -> tuple[dict[str, list[float]], list[float],
                                                           dict[str, list[float]]]:
    """The queue requests from CLIENTS client processes at once (spawned: no connection crosses a fork)."""
    ctx = multiprocessing.get_context("spawn")
    ready, results = ctx.Barrier(CLIENTS), ctx.Queue()
    procs = [ctx.Process(target=_client, args=(url, k, ids, passes, ready, results)) for k in range(CLIENTS)]
    for proc in procs:
        proc.start()
    got = [results.get(timeout=1_800) for _ in procs]
    for proc in procs:
        proc.join()
    per_request: dict[str, list[float]] = {}
    waits: dict[str, list[float]] = {}
    for times, _, waited in got:
        for name, v in times.items():
            per_request.setdefault(name, []).extend(v)
            waits.setdefault(name, []).extend(waited[name])
    return per_request, [t for _, b, _ in got for t in b], waits


def queue_under_clients(url: str, ids: list[str], passes: int = PASSES) -> dict[str, Any]:
    """The queue block: every request's stats under the 8 clients, the worst p99, the bare lookup beside them;
    for the worst request, the run-queue delay (`bench.runwait`) in its slowest samples, and its p99 without it."""
    per_request, bare8, waits = _queue_under_clients(url, ids, passes)
    queue = {name: _stats(v) for name, v in per_request.items()}
    worst = max(queue, key=lambda n: queue[n]["p99_ms"])
    samples = sorted(zip(per_request[worst], waits[worst], strict=True), reverse=True)
    slowest = samples[:max(1, len(samples) // 100 + 1)]  # the nearest-rank p99 and the samples above it
    return {"worst": worst, "worst_p99_ms": queue[worst]["p99_ms"], "bare_8_clients": _stats(bare8),
            "worst_run_wait": {"slowest_ms": [round(t, 1) for t, _ in slowest],
                               "run_queue_ms": [round(w, 1) for _, w in slowest],
                               "p99_less_run_queue_ms": round(percentile([t - w for t, w in samples], 99), 2)},
            "by_request": queue}


def _disk_bytes(gen: Any) -> int:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    url = make_url(gen.location)
    if url.get_backend_name() == "sqlite":
        base = Path(url.database or "")
        return sum(p.stat().st_size for p in (base, Path(f"{base}-wal")) if p.exists())
    t = gen.tables
    names = [t.cases.name, t.timeline.name, t.offsets.name, t.counters.name, t.kpis.name]
    with gen.engine.connect() as conn:
        return int(sum(conn.execute(text("SELECT pg_total_relation_size(:n)"), {"n": n}).scalar_one() for n in names))


def _reads(url: str, gen: Any, ids: list[str], rng: random.Random, cases: int, clock: GcWatch,
           passes: int) -> dict[str, Any]:
    """The in-process reads of `measure`: case views, the queue under 8 clients, KPI windows, queue `as_of`."""
    from services.projections.api.views import case_view
    from services.projections.storage import kpistore, queries

    pk = text(f"SELECT doc FROM {gen.tables.cases.name} WHERE complaint_id = :id")

    def bare(cid: str) -> None:
        with gen.engine.connect() as conn:
            conn.execute(pk, {"id": cid}).scalar()

    times: dict[str, list[float]] = {k: [] for k in ("bare", "view", "view_as_of")}
    for cid in ids:
        _ms(partial(bare, cid), times["bare"])
    for cid in ids:
        def view(cid: str = cid) -> None:
            found = queries.get_case(gen, cid)
            assert found is not None
            case_view(found[0], found[1], NOW)
        _ms(view, times["view"])
    start = END - timedelta(days=cases / PER_DAY)
    for cid in ids:
        moment = start + timedelta(days=int(cid[-8:]) / PER_DAY, hours=rng.uniform(0, 30))

        def view_at(cid: str = cid, moment: Any = moment) -> None:
            found = queries.case_at(gen, cid, moment)
            if found is not None:
                case_view(found[0], found[1], moment, moment)
        _ms(view_at, times["view_as_of"])
    out: dict[str, Any] = {k: _stats(v) for k, v in times.items()}

    out["queue"] = queue_under_clients(url, ids, passes)
    out["rss_mb_reading_process"] = round(rss_mb(__import__("os").getpid()), 1)

    kpi: dict[str, list[float]] = {}
    kpi_gc: dict[str, list[float]] = {}
    windows = {"all": (None, None), "last 30 whole days": (END - timedelta(days=30), END),
               "one whole day": (END - timedelta(days=10), END - timedelta(days=9)),
               "7 days, arbitrary edges": (END - timedelta(days=9, hours=5, minutes=7),
                                           END - timedelta(days=2, hours=17, minutes=3))}
    for wname, (a, b) in windows.items():
        for channel in (None, "social"):
            name = f"{wname}{'' if channel is None else ' channel=' + channel}"
            kpi[name] = []
            kpistore.kpi_report(gen, a, b, channel, NOW)  # warm (the service answers many)
            for _ in range(3):
                gc0 = clock.paused_ms
                _ms(partial(kpistore.kpi_report, gen, a, b, channel, NOW), kpi[name])
                kpi_gc.setdefault(name, []).append(clock.paused_ms - gc0)
    out["kpis"] = {name: round(max(v), 1) for name, v in kpi.items()}
    out["kpis_gc_ms"] = {name: round(kpi_gc[name][v.index(max(v))], 1) for name, v in kpi.items()}  # in the slowest

    as_of: dict[str, list[float]] = {}
    span = timedelta(days=cases / PER_DAY)
    for label_at, moment in (("one minute ago", END - timedelta(minutes=1)), ("mid-history", END - span / 2),
                             ("near the start", END - span + timedelta(hours=6))):
        for _, f, sort in AS_OF_QUERIES:
            _ms(partial(queries.list_cases_at, gen, f, sort, None, 50, moment), as_of.setdefault(label_at, []))
    out["queue_as_of_ms"] = {name: round(max(v), 1) for name, v in as_of.items()}
    return out


def measure(run: Run, url: str, cases: int, label: str) -> dict[str, Any]:
    out: dict[str, Any] = {"cases": cases}
    with built_model(url, cases) as (built, gen):
        out["build"] = {"events": built.events, "write_s": round(built.write_s, 1), "make_s": round(built.make_s, 1),
                        "events_per_s": round(built.events / built.write_s), "bytes": _disk_bytes(gen),
                        "processes": built.processes, "finish_s": round(built.finish_s, 1)}
        out["build"]["bytes_per_event"] = round(out["build"]["bytes"] / max(built.events, 1))
        run.say(f"read ({label}): built {cases:,} cases: {out['build']}")
        rng = random.Random(7)
        ids = sample_ids(rng, cases)
        # as a service process reads once started (app.py frozen_after_startup): the build's objects frozen out
        # of full collections; the collections that still land in a timed read are counted (bench/gcwatch.py)
        with startup_frozen(), GcWatch() as clock:
            out.update(_reads(url, gen, ids, rng, cases, clock, run.sizes.read_queue_passes))
            out["gc"] = clock.summary()
    out["http"] = readload.measure_http(run, url, cases, ids, label)  # the service itself, under HTTP load
    return out


def run_read(run: Run) -> None:
    cases = run.sizes.read_cases
    results: dict[str, Any] = {"SQLite": measure(run, f"sqlite:///{run.sub('read')}/projections.db", cases, "SQLite")}
    run.say(f"read on SQLite: {results['SQLite']}")
    if run.postgres_url:
        with scratch_schema(run.postgres_url, "bench_read") as url:
            results["PostgreSQL"] = measure(run, url, cases, "PostgreSQL")
            run.say(f"read on PostgreSQL: {results['PostgreSQL']}")
    run.details["read"] = results
    figures(run, results)


def _verdict(value: float | None, ceiling: float) -> str:
    return "missed" if value is None or value > ceiling else "met"


def _less_wait(queue: dict[str, Any]) -> str:
    """The worst request's p99 without the run-queue delay (`bench.runwait`; absent in older results)."""
    found = queue.get("worst_run_wait")
    return "" if found is None else f"; {found['p99_less_run_queue_ms']} ms less its run-queue wait"


def figures(run: Run, results: dict[str, Any]) -> None:
    for db, r in results.items():
        n = f"{r['cases']:,} cases"
        bare = f"bare PK lookup p99 {r['bare']['p99_ms']} ms"
        b = r["build"]
        rows = [
            (f"read ({db}): case view p99, {n}", r["view"]["p99_ms"], 10.0, f"p50 {r['view']['p50_ms']} ms", bare),
            (f"read ({db}): case view as_of p99, {n}", r["view_as_of"]["p99_ms"], 20.0,
             f"p50 {r['view_as_of']['p50_ms']} ms", bare),
            (f"read ({db}): queue, every filter × sort, 50-row page, {CLIENTS} clients, worst p99, {n}",
             r["queue"]["worst_p99_ms"], 50.0, f"worst: {r['queue']['worst']}{_less_wait(r['queue'])}",
             f"bare PK lookup under the same {CLIENTS} clients p99 {r['queue']['bare_8_clients']['p99_ms']} ms"),
            (f"read ({db}): KPIs, any window and channel, slowest, {n}", max(r["kpis"].values()), 100.0,
             f"slowest: {max(r['kpis'], key=r['kpis'].get)}", bare),
            (f"read ({db}): queue as_of any moment (4 filters × 3 moments), slowest, {n}",
             max(r["queue_as_of_ms"].values()), 1000.0,
             f"slowest: {max(r['queue_as_of_ms'], key=r['queue_as_of_ms'].get)}", bare),
        ]
        for name, value, target, detail, ceiling in rows:
            shown = "not measured (too slow at this size)" if value is None else f"{value} ms ({detail})".replace(
                " ()", "")
            run.add(Figure(name, shown, ceiling, "—", f"≤ {target:g} ms", _verdict(value, target)))
        run.add(Figure(f"read ({db}): build through the batch writer, {n}",
                       f"{b['events_per_s']:,}/s ({b['events']:,} events in {b['write_s']} s); "
                       f"{b['bytes_per_event']:,} bytes on disk per event; {b.get('processes', 1)} process(es)",
                       "—", "—",
                       "≥ 25,000/s (SQLite)" if db == "SQLite" else "report",
                       ("met" if b["events_per_s"] >= 25_000 else "missed") if db == "SQLite" else "info"))
        readload.figures(run, db, r)
    if results:
        run.notes.append(f"`read` phase: reads in the bench process through the routes' read functions (no HTTP); "
                         f"{CLIENTS} client processes for the queue (each its own interpreter and connections, like "
                         f"{CLIENTS} service workers; one service process shares one GIL), each "
                         f"{run.sizes.read_queue_passes} passes over every filter × sort after {WARMUP} unmeasured. "
                         f"Channels in the data: {', '.join(CHANNELS)}.")
