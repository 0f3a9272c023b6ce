"""The read phase's queue block under 8 client processes on one fresh PostgreSQL model, before and after VACUUM.

    python -m bench.queuevacuum [cases]     # default 1,000,000; COMPLAINTS_TEST_POSTGRES_URL, else the local `test`

Builds `cases` cases as the `read` phase does (a scratch schema, dropped afterwards), then runs
`bench.read.queue_under_clients` (every filter × sort, 8 client processes, 25 passes each) twice on the
fresh model, `VACUUM (ANALYZE)` on every table of the generation, and twice again. Prints, per block, the
worst request's p99, the median request's p99 and the bare primary-key lookup's p99 under the same clients,
with the checkpoints and buffers PostgreSQL wrote meanwhile: whether a fat queue tail is the fresh tables
(hint bits, visibility map) or the machine's.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from typing import Any

from sqlalchemy import create_engine, text

from bench import read
from bench.context import PG_URL, scratch_schema
from bench.readgen import built_model, sample_ids


def _queue(url: str, ids: list[str]) -> dict[str, Any]:
    found = read.queue_under_clients(url, ids)
    p99s = [v["p99_ms"] for v in found.pop("by_request").values()]
    return {**found, "median_p99_ms": statistics.median(p99s)}


def _written(engine: Any) -> list[int]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT checkpoints_timed + checkpoints_req, buffers_checkpoint, buffers_backend "
                                "FROM pg_stat_bgwriter")).one()
    return [int(v) for v in row]


def main() -> None:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    pg = os.environ.get("COMPLAINTS_TEST_POSTGRES_URL", PG_URL)
    rng = random.Random(7)
    ids = sample_ids(rng, cases)
    engine = create_engine(pg)
    with scratch_schema(pg, "queuevacuum") as url, built_model(url, cases) as (built, gen):
        print(json.dumps({"built": str(built)}), flush=True)
        for block in ("fresh", "fresh again", "vacuum", "vacuumed", "vacuumed again"):
            if block == "vacuum":
                t0 = time.perf_counter()
                with gen.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    for table in gen.tables.metadata.sorted_tables:
                        conn.execute(text(f'VACUUM (ANALYZE) "{table.name}"'))
                print(json.dumps({"vacuumed_s": round(time.perf_counter() - t0, 1)}), flush=True)
                continue
            before = _written(engine)
            out = _queue(url, ids)
            out["checkpoints_buffers_checkpoint_buffers_backend"] = [a - b for a, b in zip(_written(engine), before,
                                                                                            strict=True)]
            print(json.dumps({"block": block, **out}), flush=True)
    engine.dispose()


if __name__ == "__main__":
    main()
