"""The queue `as_of` across the history, A/B: the bounded read (`storage/asofpage.py`) against the plain walks.

    python -m bench.asofread --cases 100000 [--postgres URL]   # builds a model per database (bench.readgen)
    python -m bench.asofread --location sqlite:///…/projections.g1.db --generation 1 --cases 1000000

One built model per database; the four filters × sorts of the read phase's `as_of` block
(`bench.read.AS_OF_QUERIES`) at moments from near the start to one minute before the end of the history,
each read with both paths in the same run (best of 3 each; both must give the same ids). `--location`
reads an already built generation instead (its cases numbered as readgen numbers them).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, Any

import typer

from bench.context import PG_URL, scratch_schema
from bench.read import AS_OF_QUERIES
from bench.readgen import END, PER_DAY, built_model


def moments(cases: int) -> dict[str, datetime]:
    span = timedelta(days=cases / PER_DAY)
    start = END - span
    out = {"near the start (+6 h)": start + timedelta(hours=6)}
    out.update({f"{p} % of history": start + span * p / 100 for p in (1, 10, 50, 90)})
    out["one minute ago"] = END - timedelta(minutes=1)
    return out


def _best_ms(fn: Any, runs: int = 3) -> tuple[float, Any]:
    best, got = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        got = fn()
        best = min(best, (time.perf_counter() - t0) * 1000)
    return round(best, 1), got


def measure(gen: Any, cases: int) -> dict[str, dict[str, dict[str, float]]]:
    """{moment: {query: {"bounded": ms, "plain": ms}}}."""
    from services.projections.storage.asofpage import page_at

    out: dict[str, dict[str, dict[str, float]]] = {}
    for label, moment in moments(cases).items():
        row = out.setdefault(label, {})
        for name, f, sort in AS_OF_QUERIES:
            bounded_ms, a = _best_ms(partial(page_at, gen, f, sort, None, 50, moment))
            plain_ms, b = _best_ms(partial(page_at, gen, f, sort, None, 50, moment, bounded=False))
            assert a == b, (label, name, "the bounded read must give the plain walk's ids")
            row[name] = {"bounded": bounded_ms, "plain": plain_ms, "ids": len(a)}
    return out


def _built(url: str, cases: int) -> dict[str, Any]:
    with built_model(url, cases) as (built, active):
        return {"events": built.events, "as_of": measure(active, cases)}


def _existing(location: str, generation: int, cases: int) -> dict[str, Any]:
    from services.projections.storage.store import Generation, open_engine, tables_for

    engine = open_engine(location)
    with engine.begin() as conn:  # the indexes of this release (the late-received one) on an older build
        for index in sorted(tables_for(generation).versions.indexes, key=lambda i: str(i.name)):
            index.create(conn, checkfirst=True)
    try:
        return {"as_of": measure(Generation(generation, location, "active", engine), cases)}
    finally:
        engine.dispose()


def show(db: str, result: dict[str, Any]) -> None:
    print(f"\n{db}: queue as_of, 50-row page, best of 3 (ms): bounded / plain walk")
    names = [name for name, _, _ in AS_OF_QUERIES]
    print("| moment | " + " | ".join(names) + " | slowest |")
    print("|---" * (len(names) + 2) + "|")
    for label, row in result["as_of"].items():
        cells = [f"{row[n]['bounded']} / {row[n]['plain']}" for n in names]
        slowest = f"{max(r['bounded'] for r in row.values())} / {max(r['plain'] for r in row.values())}"
        print(f"| {label} | " + " | ".join(cells) + f" | {slowest} |")


def main(cases: Annotated[int, typer.Option()] = 100_000,
         postgres: Annotated[str, typer.Option(help="'' to skip PostgreSQL")] = PG_URL,
         sqlite_dir: Annotated[str, typer.Option()] = "/tmp/asofread",
         location: Annotated[str, typer.Option(help="an already built generation's database")] = "",
         generation: Annotated[int, typer.Option()] = 1,
         out: Annotated[str, typer.Option()] = "") -> None:
    import pathlib

    results: dict[str, Any] = {}
    if location:
        results["existing"] = _existing(location, generation, cases)
    else:
        folder = pathlib.Path(sqlite_dir)
        folder.mkdir(parents=True, exist_ok=True)
        results["SQLite"] = _built(f"sqlite:///{folder}/projections.db", cases)
        if postgres:
            with scratch_schema(postgres, "bench_asof") as url:
                results["PostgreSQL"] = _built(url, cases)
    for db, result in results.items():
        show(db, result)
    if out:
        pathlib.Path(out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    typer.run(main)
