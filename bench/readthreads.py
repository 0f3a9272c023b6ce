"""The one-process deployment's live lag against the reads it runs at once (`COMPLAINTS_PROJECTIONS_READ_THREADS`).

    python -m bench.readthreads DB_FILE [cases] [threads ...]     # e.g. /tmp/m1/projections.db 1000000 40 4 2 1

On one SQLite read model of `cases` cases (built into DB_FILE first, as the `read` phase builds it, unless
that file is there already: keep it between runs), `bench.readload.measure_deployment` (one process, 8
client processes on the heaviest reads for `read_load_s`, 20 live events/s) once per thread count; prints
one JSON line each: commit and visible lag, reads answered per second, and the writer's batches with their
wall and CPU seconds (`/health`). Each run publishes to topics and case ids of its own.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

from bench import readload
from bench.context import DEFAULT, Run
from bench.readgen import built_model, sample_ids


def _ensure_built(path: Path, cases: int) -> str:
    url = f"sqlite:///{path}"
    if not path.exists():  # the file stays after `built_model` (it disposes the catalogs only)
        with built_model(url, cases) as (built, _):
            print(json.dumps({"built": str(built)}), flush=True)
    return url


def _with_threads(base_env: Any, n: int) -> Any:
    def env(**kw: Any) -> dict[str, str]:
        return {**base_env(**kw), "COMPLAINTS_PROJECTIONS_READ_THREADS": str(n)}
    return env


def main() -> None:
    path, cases = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    url = _ensure_built(path, cases)
    rng = random.Random(7)
    ids = sample_ids(rng, cases)
    base_env = readload.service_env
    for n in [int(a) for a in sys.argv[3:]] or [0]:
        tag = f"threads{n}-{random.randrange(10**6)}"
        readload.service_env = _with_threads(base_env, n)
        readload.PREFIX = f"{tag}."
        out = readload.measure_deployment(Run.create(DEFAULT, None), url, cases, ids, "SQLite", 0)
        print(json.dumps({"read_threads": n or "auto", **{k: out[k] for k in (
            "lag", "commit_lag", "requests_per_s", "writer", "service_cpu_cores", "rss_mb_max")}}), flush=True)
    readload.service_env = base_env


if __name__ == "__main__":
    main()
