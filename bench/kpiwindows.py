"""KPI answers per window on one freshly built read model: the `read` phase's KPI block, on its own.

    python -m bench.kpiwindows [cases] [sqlite|postgresql ...]    # defaults: 100000, both

Builds `cases` cases with `bench.readgen.build` (as the `read` phase does: a bulk generation, the replay's
path) on SQLite (a file under /tmp) and on PostgreSQL (a scratch schema of COMPLAINTS_TEST_POSTGRES_URL,
default the local `test` database), then times `kpistore.kpi_report` for each window of `bench/read.py`'s
KPI list and a few more with edges inside hours (each warmed once, then the slowest of 3), beside the bare
primary-key lookup, and the build's events/s. Prints one JSON line per database, naming the checkout whose
code it ran (`code`), so one copy of this file measures two checkouts (`PYTHONPATH=<checkout>`).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from bench.context import PG_URL, scratch_schema
from bench.readgen import END, built_model

NOW = END + timedelta(days=3)
WINDOWS = {  # bench/read.py's KPI windows, then edges inside hours
    "all": (None, None), "last 30 whole days": (END - timedelta(days=30), END),
    "one whole day": (END - timedelta(days=10), END - timedelta(days=9)),
    "7 days, arbitrary edges": (END - timedelta(days=9, hours=5, minutes=7),
                                END - timedelta(days=2, hours=17, minutes=3)),
    "30 days, arbitrary edges": (END - timedelta(days=31, hours=11, seconds=17), END - timedelta(hours=3, seconds=1)),
    "5 hours inside a day": (END - timedelta(days=4, hours=9, minutes=41), END - timedelta(days=4, hours=4, minutes=2)),
    "20 minutes": (END - timedelta(days=5, hours=3, minutes=30), END - timedelta(days=5, hours=3, minutes=10)),
}


def _ms(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def measure(url: str, cases: int) -> dict[str, Any]:
    from services.projections.storage import kpistore

    with built_model(url, cases) as (built, active):
        out: dict[str, Any] = {"events": built.events, "write_s": round(built.write_s, 1),
                               "events_per_s": round(built.events / built.write_s), "processes": built.processes}
        with active.engine.connect() as conn:
            out["kpi_rows"] = conn.execute(text(f"SELECT count(*) FROM {active.tables.kpis.name}")).scalar_one()
        pk = text(f"SELECT doc FROM {active.tables.cases.name} WHERE complaint_id = :id")

        def bare() -> None:
            with active.engine.connect() as conn:
                conn.execute(pk, {"id": "bench-00000042"}).scalar()
        bare()
        out["bare_pk_ms"] = round(max(_ms(bare) for _ in range(20)), 2)
        kpis: dict[str, float] = {}
        for name, (a, b) in WINDOWS.items():
            for channel in (None, "social"):
                label = f"{name}{'' if channel is None else ' channel=social'}"
                kpistore.kpi_report(active, a, b, channel, NOW)  # warm

                def answer(a: Any = a, b: Any = b, channel: str | None = channel) -> None:
                    kpistore.kpi_report(active, a, b, channel, NOW)
                kpis[label] = round(max(_ms(answer) for _ in range(3)), 1)
        out["kpis_ms"] = kpis
        return out


def main() -> None:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    dbs = sys.argv[2:] or ["sqlite", "postgresql"]
    import services.projections.storage.kpiread as code

    for db in dbs:
        if db == "sqlite":
            with tempfile.TemporaryDirectory(prefix="kpiwindows-") as tmp:
                result = measure(f"sqlite:///{tmp}/projections.db", cases)
        else:
            pg = os.environ.get("COMPLAINTS_TEST_POSTGRES_URL", PG_URL)
            with scratch_schema(pg, "kpiwindows") as url:
                result = measure(url, cases)
        print(json.dumps({"db": db, "cases": cases, "code": code.__file__, **result}), flush=True)


if __name__ == "__main__":
    main()
