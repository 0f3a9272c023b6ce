"""A/B of the batch writer's build: the same records, applied in batches of 10,000 into a fresh bulk generation.

python bench/buildab.py ROOT DB CASES [--processes N] (as a script: `bench` is imported from ROOT, the code
under test, e.g. /work/main or a worktree); DB sqlite|pg.
One process: the records are made and classified first (untimed), then applied; prints wall, this process's
CPU and (PostgreSQL) the server backend's CPU, per event, and a digest of every table (A == B check).
--processes N>1: the bench's own build (bench.readgen.build), wall clock of the applying only.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import time
from pathlib import Path

root, db, cases = sys.argv[1], sys.argv[2], int(sys.argv[3])
processes = int(sys.argv[sys.argv.index("--processes") + 1]) if "--processes" in sys.argv else 1
sys.path.insert(0, root)
os.chdir(root)
HERE = Path(os.environ.get("BUILDAB_DIR", "/tmp/complaints-buildab"))
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def ticks(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def digest(gen: object) -> dict[str, str]:
    from sqlalchemy import select

    t = gen.tables  # type: ignore[attr-defined]
    out = {}
    with gen.engine.connect() as conn:  # type: ignore[attr-defined]
        for table in (t.cases, t.timeline, t.kpis, t.versions, t.offsets, t.counters):
            h = hashlib.sha256()
            n = 0
            for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                h.update(repr(tuple(row)).encode())
                n += 1
            out[table.name.rsplit("_g", 1)[0]] = f"{n}:{h.hexdigest()[:16]}"
    return out


def main() -> None:
    from bench.context import scratch_schema
    from bench.readgen import build, records
    from complaints.readmodel.casedoc import policy_first_response
    from services.projections.ingest.records import classify
    from services.projections.ingest.writer import apply_batch
    from services.projections.storage.bulk import finish
    from services.projections.storage.store import Catalog
    from services.projections.tuning import batch_gc

    tag = f"{Path(root).name}-{db}-{cases}-{processes}"
    result: dict[str, object] = {"root": root, "db": db, "cases": cases, "processes": processes}

    def run(url: str) -> None:
        catalog = Catalog(url)
        try:
            gen = catalog.create(bulk=True)
            if processes > 1:
                built = build(gen, cases, processes=processes)
                result.update(events=built.events, write_s=round(built.write_s, 2), finish_s=round(built.finish_s, 2),
                              events_per_s=round(built.events / built.write_s))
                return
            HERE.mkdir(parents=True, exist_ok=True)
            raw = HERE / f"records-{cases}.pkl"
            if not raw.exists():
                raw.write_bytes(pickle.dumps([r for chunk in records(cases, 6) for r in chunk]))
            items = [classify(r) for r in pickle.loads(raw.read_bytes())]
            sla = policy_first_response()
            backend = None
            if db == "pg":
                with gen.engine.connect() as conn:
                    backend = conn.exec_driver_sql("select pg_backend_pid()").scalar_one()
            if backend and os.environ.get("PIDFILE"):
                Path(os.environ["PIDFILE"]).write_text(str(backend))
                time.sleep(1.0)  # for a profiler to attach
            s0 = ticks(backend) if backend else 0.0
            w0, c0 = time.perf_counter(), time.process_time()
            events = 0
            with batch_gc():
                for first in range(0, len(items), 10_000):
                    events += apply_batch(gen, items[first:first + 10_000], False, first_response=sla).applied
            w1, c1 = time.perf_counter(), time.process_time()
            s1 = ticks(backend) if backend else 0.0
            if db == "pg":
                with gen.engine.connect() as conn:
                    assert conn.exec_driver_sql("select pg_backend_pid()").scalar_one() == backend
            finish(gen)
            w2 = time.perf_counter()
            write = w1 - w0
            result.update(events=events, write_s=round(write, 2), finish_s=round(w2 - w1, 2),
                          events_per_s=round(events / (w2 - w0)), apply_per_s=round(events / write),
                          client_cpu_us=round((c1 - c0) / events * 1e6, 1),
                          server_cpu_us=round((s1 - s0) / events * 1e6, 1), wall_us=round(write / events * 1e6, 1))
            result["digest"] = digest(gen)
        finally:
            catalog.dispose()

    if db == "pg":
        with scratch_schema(PG, "ab_build") as url:
            run(url)
    else:
        path = HERE / "db" / f"{tag}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for p in path.parent.glob(f"{tag}*"):
            p.unlink()
        run(f"sqlite:///{path}")
        for p in path.parent.glob(f"{tag}*"):
            p.unlink()
    print(json.dumps(result), flush=True)


main()
