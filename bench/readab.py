"""A/B of the read load's deployments without the whole `read` phase: build N cases once, then measure.

    python -m bench.readab [--cases 100000] [--seconds 30] [--readers 1] [--db sqlite|postgresql|both]
                           [--order single,split] [--keep]

Builds the `read` phase's generation as `bench/read.py` does (`bench.readgen.build`), then runs the load
of `bench/readload.py` on each deployment in `--order` (`single`: one process; `split`: one writer +
`--readers` reader processes, `bench/readdeploy.py`) on that generation, prints their figures and
writes every number to `readab-<run folder name>.json` beside the run folder (kept after its cleanup).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from bench.context import DEFAULT, PG_URL, Run, scratch_schema


@contextlib.contextmanager
def database(run: Run, db: str) -> Iterator[str]:
    if db == "SQLite":
        yield f"sqlite:///{run.sub('read')}/projections.db"
    else:
        with scratch_schema(PG_URL, "bench_readab") as url:
            yield url


def measure(run: Run, db: str, cases: int, readers: int, order: list[str]) -> dict[str, Any]:
    from bench import readload
    from bench.readgen import build, sample_ids
    from services.projections.storage.store import Catalog

    with database(run, db) as url:
        catalog = Catalog(url)
        try:
            gen = catalog.create(bulk=True)
            built = build(gen, cases)
            catalog.activate(gen.id)
        finally:
            catalog.dispose()
        run.say(f"{db}: built {cases:,} cases ({built.events:,} events in {built.write_s:.1f} s)")
        rng = random.Random(7)  # the ids bench/read.py reads
        ids = sample_ids(rng, cases)
        got = {name: readload.measure_deployment(run, url, cases, ids, db, readers if name == "split" else 0)
               for name in order}
    if "single" in got:  # the figures need the one-process deployment (the JSON has everything)
        readload.figures(run, db, {"cases": cases, "http": {**got["single"], "split": got.get("split")}})
    return {"cases": cases, "order": order, **got}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.readab", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--readers", type=int, default=1)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--order", default="single,split")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    run = Run.create(replace(DEFAULT, read_cases=args.cases, read_load_s=args.seconds), PG_URL, keep=args.keep)
    dbs = {"sqlite": ["SQLite"], "postgresql": ["PostgreSQL"], "both": ["SQLite", "PostgreSQL"]}[args.db]
    order = [o for o in args.order.split(",") if o in ("single", "split")]
    try:
        results = {db: measure(run, db, args.cases, args.readers, order) for db in dbs}
        out = run.folder.parent / f"readab-{run.folder.name}.json"
        out.write_text(json.dumps({"results": results, "figures": [vars(f) for f in run.figures]}, indent=1))
        print(f"numbers: {out}")
    finally:
        run.cleanup()


if __name__ == "__main__":
    main()
