"""`python -m bench`: measure the product on this machine and regenerate `bench/RESULTS.md`.

    python -m bench            # the README run (~2.5 min): every figure, scaled sizes
    python -m bench --quick    # smoke run (< 1 min): tiny sizes, same figures
    python -m bench --full     # the issue's sizes: 100k open cases, 1M events (long)

It starts what it needs itself: an embedded Tansu broker per phase, the services as their
own processes (`complaints run <name>`), projections on SQLite and PostgreSQL (a unique
schema at `--postgres`, dropped afterwards), and cleans up its temporary folder.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from bench.context import DEFAULT, FULL, PG_URL, QUICK, Run
from bench.machine import facts
from bench.procs import py_spy
from bench.report import render

ROOT = Path(__file__).resolve().parent
PHASES = ("startup", "intake", "lifecycle", "replay", "timers", "overhead", "whatif")
#: Run only when asked (`--only console`, `--only read`): each builds a large read model of its own
#: (minutes on its own).
EXTRA_PHASES = ("console", "read")

#: The phases that need nothing but the run: each one's entry point, imported only when it runs.
STANDALONE: dict[str, Callable[[], Callable[[Run], Any]]] = {
    "timers": lambda: importlib.import_module("bench.timers").run_timers,
    "overhead": lambda: importlib.import_module("bench.overhead").run_overhead,
    "whatif": lambda: importlib.import_module("bench.whatif").run_whatif,
    "console": lambda: importlib.import_module("bench.console").run_console,
    "read": lambda: importlib.import_module("bench.read").run_read,
}

app = typer.Typer(add_completion=False)


def _postgres(url: str) -> str | None:
    if not url:
        return None
    from complaints.db import unreachable

    problem = unreachable(url)
    if problem:
        print(f"PostgreSQL not available at {url} ({problem.split(':')[0]}); its figures are skipped", flush=True)
        return None
    return url


@app.command()
def main(
    quick: Annotated[bool, typer.Option("--quick", help="Smoke run: tiny sizes (< 1 min).")] = False,
    full: Annotated[bool, typer.Option("--full", help="The issue's sizes: 100k open cases, 1M events.")] = False,
    output: Annotated[Path | None, typer.Option(help="Where to write the results (default: bench/RESULTS.md, "
                                                    "or bench/PROFILES.md with --profile).")] = None,
    postgres: Annotated[str, typer.Option(help="PostgreSQL for replay and timers; '' to skip.")] = PG_URL,
    only: Annotated[list[str] | None, typer.Option(
        help=f"Run only these phases: {', '.join(PHASES + EXTRA_PHASES)}.")] = None,
    profile: Annotated[bool, typer.Option(help="Run the services (and the replay) under py-spy and write where "
                                               "their CPU goes to bench/PROFILES.md; its figures are slowed by "
                                               "the profiler, so RESULTS.md is left alone.")] = False,
    shared_db: Annotated[bool, typer.Option(help="One SQLite file for every service's state (default: one "
                                                 "file per service, as `complaints dev` does).")] = False,
    keep: Annotated[bool, typer.Option(help="Keep the run folder (logs, databases, profiles).")] = False,
    json_out: Annotated[Path | None, typer.Option("--json", help="Where to write the raw numbers as JSON "
                                                                "(default: beside the results, results.json).")]
    = None,
    size: Annotated[list[str] | None, typer.Option(help="Override one size of the preset, e.g. "
                                                        "--size backlog_complaints=5000 (repeatable).")] = None,
    render_from: Annotated[Path | None, typer.Option(help="Measure nothing: rewrite the results from a --json "
                                                          "file (e.g. after editing bench/analysis.md).")] = None,
) -> None:
    """Run the benchmarks and write the results table."""
    output = output or ROOT / ("PROFILES.md" if profile else "RESULTS.md")
    if render_from is not None:
        rerender(render_from, output)
        return
    if quick and full:
        raise typer.BadParameter("choose --quick or --full, not both")
    sizes = QUICK if quick else FULL if full else DEFAULT
    for item in size or []:
        key, _, value = item.partition("=")
        if key not in vars(sizes) or key == "name" or not value:
            raise typer.BadParameter(f"--size {item!r}: expected NAME=VALUE with NAME one of "
                                     f"{', '.join(k for k in vars(sizes) if k != 'name')}")
        current = getattr(sizes, key)
        parsed: Any = tuple(int(v) for v in value.split(",")) if isinstance(current, tuple) else type(current)(
            value if not isinstance(current, bool) else value.lower() in ("1", "true", "yes"))
        sizes = dataclasses.replace(sizes, **{key: parsed}, name=f"{sizes.name}+overrides")
    phases = tuple(only or PHASES)
    unknown = set(phases) - set(PHASES) - set(EXTRA_PHASES)
    if unknown:
        raise typer.BadParameter(f"unknown phase(s) {', '.join(sorted(unknown))}; "
                                 f"choose from {', '.join(PHASES + EXTRA_PHASES)}")
    if "replay" in phases and "lifecycle" not in phases:
        raise typer.BadParameter("replay replays the lifecycle phase's log: run it with lifecycle")
    if profile and py_spy() is None:
        raise typer.BadParameter("--profile needs py-spy (pip install py-spy)")
    run = Run.create(sizes, _postgres(postgres), keep=keep, profile=profile)
    run.shared_db = shared_db
    if profile:
        run.notes.append("Every service, and the SQLite replay, ran under py-spy (`--profile`), which slows them: "
                         "this run is for where the CPU goes, not for the figures (those are in RESULTS.md).")
    if shared_db:
        run.notes.append("Every service's state was in one shared SQLite file (`--shared-db`).")
    command = shown_command(sys.argv[1:])
    machine = facts(run.postgres_url)
    started = time.monotonic()
    run.say(f"bench preset {sizes.name}; folder {run.folder}")
    lifecycle = None
    timings: dict[str, float] = {}

    def timed(name: str) -> None:
        timings[name] = round(time.monotonic() - started - sum(timings.values()), 1)

    try:
        if "startup" in phases:
            from bench.startup import run_startup

            run_startup(run)
            timed("startup")
        if "intake" in phases:
            from bench.intake import run_intake

            run_intake(run)
            timed("intake")
        if "lifecycle" in phases:
            from bench.lifecycle import run_lifecycle

            lifecycle = run_lifecycle(run)
            timed("lifecycle")
        if lifecycle is not None and "replay" in phases:
            from bench.replay import run_replay

            run_replay(run, lifecycle.settings)
            timed("replay")
        for name in ("timers", "overhead", "whatif", "console", "read"):  # each phase stands alone: run(run)
            if name in phases:
                STANDALONE[name]()(run)
                timed(name)
        run.details["phase_seconds"] = timings
        run.say(f"phase seconds: {timings}")
        import os

        load = os.getloadavg()
        machine["load_at_end"] = f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
        output.parent.mkdir(parents=True, exist_ok=True)
        seconds = time.monotonic() - started
        output.write_text(render(run, machine, command, seconds))
        json_out = json_out or (None if profile else output.with_name("results.json"))
        if json_out is not None:
            json_out.write_text(json.dumps({"command": command, "seconds": seconds, "machine": machine,
                                            "sizes": vars(sizes), "notes": run.notes,
                                            "figures": [vars(f) for f in run.figures], "details": run.details},
                                           indent=1, default=str))
        run.say(f"wrote {output} in {(time.monotonic() - started) / 60:.1f} min")
    finally:
        if lifecycle is not None:
            lifecycle.broker.stop()
        run.cleanup()


def shown_command(args: list[str]) -> str:
    """The command line as a reader would rerun it (without where this run wrote its files)."""
    shown: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in ("--output", "--json"):
            skip = True
            continue
        if arg.startswith(("--output=", "--json=")):
            continue
        shown.append(arg)
    return " ".join(["python -m bench", *shown])


def rerender(source: Path, output: Path) -> None:
    """Rebuild the figures from a run's raw numbers and write the results again (nothing is measured)."""
    from bench import intake, lifecycle, read, replay, startup, timers, whatif
    from bench.context import Sizes

    data = json.loads(source.read_text())
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data["sizes"].items()}
    sizes = Sizes(**fields)
    run = Run.create(sizes, None)
    try:
        run.details, run.notes = data["details"], data.get("notes", [])
        for phase, module in (("startup", startup), ("intake", intake), ("lifecycle", lifecycle),
                              ("replay", replay), ("timers", timers), ("whatif", whatif), ("read", read)):
            if phase in run.details:
                module.figures(run, run.details[phase])
        seconds = data.get("seconds") or sum(run.details.get("phase_seconds", {}).values())
        output.write_text(render(run, data["machine"], data.get("command", "python -m bench"), seconds))
        print(f"wrote {output} from {source}")
    finally:
        run.cleanup()


if __name__ == "__main__":
    app()
