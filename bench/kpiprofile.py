"""Where a KPI answer's milliseconds go, on an already built read model, opened read-only.

    PYTHONPATH=<checkout> python bench/kpiprofile.py --location URL [--generation 1] [--explain] [--cprofile]

For each window of `bench/kpiwindows.py` (all channels, and `social`): the answer's time (warmed once, the
slowest of 3), then each SQL statement it ran, run again on its own (execute and fetch: best of 3), with
the rows it returned and the rows it read before grouping; the answer's time less its statements' is the
Python around them. `--explain`: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite,
of each statement; `--cprofile`: the top functions of the slowest window (on stderr). A SQLite file opens read-only
(`mode=ro`); PostgreSQL in read-only transactions. Runs the code on the path (`PYTHONPATH`), so one copy
profiles two checkouts.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import re
import sys
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from bench.kpiwindows import NOW, WINDOWS

_FROM, _GROUP = re.compile(r"\sFROM\s"), re.compile(r"\sGROUP BY\s")


def read_only(location: str) -> Engine:
    url = make_url(location)
    if url.get_backend_name() == "sqlite":
        return create_engine(f"sqlite:///file:{url.database}?mode=ro&uri=true")
    given = url.query.get("options", "")
    options = " ".join(filter(None, [given if isinstance(given, str) else " ".join(given),
                                     "-cdefault_transaction_read_only=on"]))
    return create_engine(url.update_query_dict({"options": options}), connect_args={"prepare_threshold": None})


def _best(engine: Engine, sql: str, params: Any) -> tuple[float, int]:
    raw = engine.raw_connection()
    try:
        best, rows = float("inf"), 0
        for _ in range(3):
            cur = raw.cursor()
            t0 = time.perf_counter()
            cur.execute(sql, params)
            rows = len(cur.fetchall())
            best = min(best, (time.perf_counter() - t0) * 1000)
            cur.close()
        return best, rows
    finally:
        raw.close()


def _read(engine: Engine, sql: str, params: Any) -> int:
    """The rows a statement reads before grouping (a count over its FROM and WHERE)."""
    groups = list(_GROUP.finditer(sql))
    start = _FROM.search(sql)
    if not groups or start is None:
        counted = f"SELECT count(*) FROM ({sql}) AS counted"
    else:
        counted = "SELECT count(*)" + sql[start.start():groups[-1].start()]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(counted, params)
        (count,) = cur.fetchone() or (0,)
        return int(count)
    finally:
        raw.close()


def _explain(engine: Engine, sql: str, params: Any) -> list[str]:
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(prefix + sql, params)
        return [" | ".join(str(c) for c in row) for row in cur.fetchall()]
    finally:
        raw.close()


def profile(gen: Any, explain: bool, top: bool) -> dict[str, Any]:
    from services.projections.storage import kpistore

    engine: Engine = gen.engine
    seen: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _log(_conn: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    out: dict[str, Any] = {}
    slowest: tuple[float, Any] = (0.0, None)
    for name, (a, b) in WINDOWS.items():
        for channel in (None, "social"):
            label = f"{name}{'' if channel is None else ' channel=social'}"
            kpistore.kpi_report(gen, a, b, channel, NOW)  # warm
            times = []
            for _ in range(3):
                seen.clear()
                t0 = time.perf_counter()
                kpistore.kpi_report(gen, a, b, channel, NOW)
                times.append((time.perf_counter() - t0) * 1000)
            statements = []
            for sql, params in list(seen):
                ms, rows = _best(engine, sql, params)
                text = " ".join(sql.split())
                item: dict[str, Any] = {"ms": round(ms, 2), "rows": rows, "read": _read(engine, sql, params),
                                        "where": text[text.find(" WHERE "):][:240], "params": str(params)[:240]}
                if explain:
                    item["plan"] = _explain(engine, sql, params)
                statements.append(item)
            sql_ms = sum(s["ms"] for s in statements)
            out[label] = {"ms": round(max(times), 1), "sql_ms": round(sql_ms, 1),
                          "python_ms": round(max(times) - sql_ms, 1), "statements": statements}
            if max(times) > slowest[0]:
                slowest = (max(times), (a, b, channel))
    if top and slowest[1] is not None:
        a, b, channel = slowest[1]
        prof = cProfile.Profile()
        prof.runcall(kpistore.kpi_report, gen, a, b, channel, NOW)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(15)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--location", required=True, help="the generation's database URL")
    parser.add_argument("--generation", type=int, default=1)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args()
    import services.projections.storage.kpiread as code
    from services.projections.storage.store import Generation

    engine = read_only(args.location)
    try:
        result = profile(Generation(args.generation, args.location, "active", engine), args.explain, args.cprofile)
    finally:
        engine.dispose()
    print(json.dumps({"code": code.__file__, "location": args.location, "kpis": result}, indent=1))


if __name__ == "__main__":
    main()
