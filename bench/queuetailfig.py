"""The summary of `bench/queuetail.py`: per request p50/p99 beside its time alone, where the tail's ms go
(client CPU, waiting for a CPU, the PostgreSQL backend's CPU and wait, garbage collection, the rest),
whether the slow samples of different clients coincide, the machine's load meanwhile; and the plans
of one request's statements (`plans`)."""

from __future__ import annotations

import time
from collections import defaultdict
from statistics import mean, median
from typing import Any

from bench.httpload import percentile

PARTS = ("cpu_ms", "runq_ms", "backend_cpu_ms", "backend_runq_ms", "gc_ms")


def machine(before: dict[str, Any] | None = None) -> dict[str, Any]:
    """The machine's CPU counters (busy jiffies, all jiffies, PSI cpu `some` µs); with `before`: the share of
    both cores busy and the share of time some task waited for a CPU, since `before`."""
    with open("/proc/stat") as f:
        cells = [int(x) for x in f.readline().split()[1:]]
    with open("/proc/pressure/cpu") as f:
        some = int(f.readline().rsplit("total=", 1)[1])
    now = {"busy": sum(cells) - cells[3] - cells[4], "all": sum(cells), "psi_us": some, "t": time.monotonic()}
    if before is None:
        return now
    wall = now["t"] - before["t"]
    return {"seconds": round(wall, 1), "cpu_busy_share": round((now["busy"] - before["busy"]) /
                                                               max(now["all"] - before["all"], 1), 3),
            "cpu_pressure_some_share": round((now["psi_us"] - before["psi_us"]) / 1e6 / wall, 3),
            "loadavg": open("/proc/loadavg").read().split()[:3]}


def _by_request(samples: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in samples:
        out[s["request"]].append(s)
    return out


def _parts(group: list[dict[str, Any]]) -> str:
    """Mean ms per page: wall; the client's CPU (garbage collection's included) and its wait for a CPU; the
    backend's; the rest (wall minus those four: < 0 where they overlapped); and of the wall, the time inside
    garbage collections (their CPU and the waits for a CPU during them)."""
    if not group:
        return "—"
    per = [{k: s[k] / s["pages"] for k in ("wall_ms", *PARTS)} for s in group]
    means = {k: mean(p[k] for p in per) for k in ("wall_ms", *PARTS)}
    rest = means["wall_ms"] - sum(means[k] for k in PARTS if k != "gc_ms")
    shown = {"wall": means["wall_ms"], "client CPU": means["cpu_ms"], "client waiting for a CPU": means["runq_ms"],
             "backend CPU": means["backend_cpu_ms"], "backend waiting for a CPU": means["backend_runq_ms"],
             "rest": rest, "of the wall, in garbage collection": means["gc_ms"]}
    return ", ".join(f"{k} {v:.1f}" for k, v in shown.items())


def report(result: dict[str, Any]) -> str:
    loaded, alone = _by_request(result["loaded"]), _by_request(result["alone"])
    lines = [f"queue tail: {result['clients']} clients × {result['passes']} passes, variant {result['variant']}, "
             f"{result['location']}; machine meanwhile {result['machine_during']}", "",
             "| request | alone p50 | p50 | p99 | max | alone CPU (client + backend) |", "|---|---|---|---|---|---|"]

    def per_page(group: list[dict[str, Any]]) -> list[float]:
        return [s["wall_ms"] / s["pages"] for s in group]

    rows = []
    for name, group in loaded.items():
        a = alone.get(name, [])
        times = per_page(group)
        cpu = median((s["cpu_ms"] + s["backend_cpu_ms"]) / s["pages"] for s in a) if a else float("nan")
        rows.append((percentile(times, 99), name, percentile(per_page(a), 50) if a else float("nan"),
                     percentile(times, 50), max(times), cpu))
    rows.sort(reverse=True)
    for p99, name, a50, p50, top, cpu in rows:
        lines.append(f"| {name} | {a50:.1f} | {p50:.1f} | {p99:.1f} | {top:.1f} | {cpu:.1f} |")
    queue = [s for s in result["loaded"] if s["request"] != "bare PK lookup"]
    p99s = sorted(r[0] for r in rows if r[1] != "bare PK lookup")
    lines += ["", f"median of the requests' p99s {median(p99s):.1f} ms; worst {p99s[-1]:.1f} ms", ""]
    tail, typical = [], []
    for group in _by_request(queue).values():
        times = per_page(group)
        cut, lo, hi = percentile(times, 99), percentile(times, 25), percentile(times, 75)
        tail += [s for s, t in zip(group, times, strict=True) if t >= cut]
        typical += [s for s, t in zip(group, times, strict=True) if lo <= t <= hi]
    slowest = sorted(queue, key=lambda s: s["wall_ms"] / s["pages"])[-max(1, len(queue) // 100):]
    lines += ["Where a page's ms go (means per page):",
              f"- typical samples (each request's p25–p75, {len(typical)}): {_parts(typical)}",
              f"- tail samples (each request's p99 and above, {len(tail)}): {_parts(tail)}",
              f"- the slowest 1 % of all samples ({len(slowest)}): {_parts(slowest)}",
              f"- alone (one client): {_parts([s for s in result['alone'] if s['request'] != 'bare PK lookup'])}"]
    for label, group in (("typical", typical), ("tail", tail)):
        blocked = mean(s["blocked"] / s["pages"] for s in group)
        read = mean(s["disk_bytes"] / s["pages"] for s in group)
        lines.append(f"- {label}: times blocked per page (voluntary switches) {blocked:.1f}, bytes read from "
                     f"storage per page {read:.0f}")
    collected = [s for s in queue if s["gc_ms"] > 5]
    lines += [f"- samples with more than 5 ms of garbage collection: {sum(s in collected for s in tail)} of the "
              f"{len(tail)} tail samples, {len(collected)} of all {len(queue)}"]
    lines += ["", _coincidence(tail, queue)]
    return "\n".join(lines)


def _coincidence(tail: list[dict[str, Any]], queue: list[dict[str, Any]]) -> str:
    """Do slow samples of different clients overlap in time (one stall of the machine), or fall apart?"""
    if not tail or not queue:
        return ""
    t0 = min(s["start_s"] for s in queue)
    spans = [(s["start_s"], s["start_s"] + s["wall_ms"] / 1000, s["client"]) for s in tail]
    shared = [len({c for a, b, c in spans if a < end and b > start} - {client}) for start, end, client in spans]
    last = max(s["start_s"] + s["wall_ms"] / 1000 for s in queue) - t0
    tenths = [0] * 10
    for start, _, _ in spans:
        tenths[min(9, int((start - t0) / max(last, 1e-9) * 10))] += 1
    return (f"tail samples overlapping a tail sample of another client: mean {mean(shared):.1f} other clients "
            f"(of {len({s['client'] for s in queue}) - 1}); tail samples per tenth of the run ({last:.0f} s): "
            f"{tenths}")


def plans(gen: Any, request: str) -> str:
    """EXPLAIN (SQLite: QUERY PLAN, with each statement's time alone; PostgreSQL: ANALYZE, BUFFERS) of each
    statement of `request`'s first page and of its next page."""
    from sqlalchemy import event

    from bench.read import NOW, _queue_requests
    from services.projections.storage import queries
    from services.projections.storage.queue import page_params, page_statements

    f, sort = next((f, sort) for name, f, sort in _queue_requests() if name == request)
    prefix = "EXPLAIN QUERY PLAN " if gen.engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    found: list[Any] = []

    @event.listens_for(gen.engine, "before_cursor_execute")
    def _explain(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if found == [None]:  # asked for: the plan of this statement, by the same cursor, before it runs
            cursor.execute(prefix + statement, parameters)
            found[:] = [r[-1] for r in cursor.fetchall()]

    out = [f"{request} ({gen.engine.dialect.name})"]
    _, nxt = queries.list_cases(gen, f, sort, None, 50, NOW)
    for cursor in (None, nxt) if nxt is not None else (None,):
        kind = None if cursor is None else cursor.value is not None
        params = page_params(NOW, cursor, 51)
        for k, statement in enumerate(page_statements(gen.tables, f, sort, kind, ("summary",))):
            with gen.engine.connect() as conn:
                found[:] = [None]
                conn.execute(statement, params).all()
                t0 = time.perf_counter()
                got = len(conn.execute(statement, params).all())
                ms = (time.perf_counter() - t0) * 1000
            out.append(f"-- {'first page' if cursor is None else 'next page'}, phase {k + 1}: {got} rows, "
                       f"{ms:.1f} ms\n{statement.compile(gen.engine)!s}")
            out += [f"   {line}" for line in found]
    return "\n".join(out)


def headline(result: dict[str, Any]) -> dict[str, float]:
    """A run's few numbers: worst and median of the requests' p99s, p50 of all pages, the bare lookup's p99."""
    loaded = _by_request(result["loaded"])
    p99 = {n: percentile([s["wall_ms"] / s["pages"] for s in g], 99) for n, g in loaded.items()
           if n != "bare PK lookup"}
    pages = [s["wall_ms"] / s["pages"] for s in result["loaded"] if s["request"] != "bare PK lookup"]
    bare = [s["wall_ms"] for s in loaded.get("bare PK lookup", [])]
    return {"worst p99": max(p99.values()), "median p99": median(p99.values()), "page p50": percentile(pages, 50),
            "bare p50": percentile(bare, 50), "bare p99": percentile(bare, 99)}


def main(files: list[str]) -> None:
    """`python -m bench.queuetailfig A.json B.json ...`: the runs' headlines side by side."""
    import json
    from pathlib import Path

    runs = [json.loads(Path(f).read_text()) for f in files]
    heads = [headline(r) for r in runs]
    print("| | " + " | ".join(r["variant"] for r in runs) + " |")
    print("|---" * (len(runs) + 1) + "|")
    for key in heads[0]:
        print(f"| {key} (ms) | " + " | ".join(f"{h[key]:.1f}" for h in heads) + " |")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
