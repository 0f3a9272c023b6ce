"""Render a run as `bench/RESULTS.md`: machine facts, the figures table, details, analysis, profiles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.context import Run
from bench.spy import breakdown

ANALYSIS = Path(__file__).with_name("analysis.md")
#: The read phase's own analysis (`--only read` writes bench/RESULTS-read.md).
READ_ANALYSIS = Path(__file__).with_name("analysis-read.md")


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(run: Run) -> str:
    mark = {"met": "✅ met", "missed": "❌ missed", "info": "—"}
    lines = ["| figure | measured | ceiling (same run) | share of ceiling | target | verdict |",
             "|---|---|---|---|---|---|"]
    for f in run.figures:
        verdict = mark.get(f.verdict, f.verdict) + (f" ({f.note})" if f.note else "")
        lines.append("| " + " | ".join(_cell(x) for x in (f.figure, f.value, f.ceiling, f.share, f.target,
                                                          verdict)) + " |")
    return "\n".join(lines)


def _kv(d: dict[str, Any]) -> str:
    return "\n".join(f"| {k} | {_cell(v)} |" for k, v in d.items())


def _details(run: Run) -> str:
    d = run.details
    out: list[str] = []
    if "intake" in d:
        i = d["intake"]
        out += ["### Intake", "", "| endpoint | load | accepted/s | p50 ms | p99 ms | max ms | errors |",
                "|---|---|---|---|---|---|---|"]
        for name in ("bare", "intake"):
            for load, label in (("max", f"closed loop, {i['concurrency']} connections"),
                                ("fixed", f"open loop, {run.sizes.intake_fixed_rate:.0f}/s offered")):
                r = i[name][load]
                out.append(f"| {'bare FastAPI endpoint' if name == 'bare' else 'intake'} | {label} | "
                           f"{r['rate']:,} | {r['p50_ms']} | {r['p99_ms']} | {r['max_ms']} | {r['errors']} |")
        out += ["", f"Raw aiokafka producer (acks=all, linger of the `tansu` profile): "
                    f"{i['raw_producer']['per_s']:,} records/s for {i['raw_producer']['records']:,} "
                    "ComplaintReceived records.", ""]
    lc = d.get("lifecycle")
    if lc:
        out += ["### Lifecycle", "",
                f"Bare faust agent (topic → topic, same broker): {lc['bare_agent']['per_s']:,} events/s, "
                f"{lc['bare_agent']['cpu_ms_per_event']} ms CPU per event ({lc['bare_agent']['events']:,} events).",
                ""]
        if lc.get("solo"):
            out += ["Each worker alone, draining a backlog of ComplaintReceived (plus what it emits itself):", "",
                    "| worker | events | seconds | events/s | share of bare agent | CPU ms/event | RSS MB |",
                    "|---|---|---|---|---|---|---|"]
            bare = lc["bare_agent"]["per_s"]
            for n, r in lc["solo"].items():
                out.append(f"| {n} | {r['events']:,} | {r['seconds']} | {r['per_s']:,} | {r['per_s'] / bare:.0%} | "
                           f"{r['cpu_ms_per_event']} | {r['rss_mb']} |")
            out.append("")
        bl = lc["backlog"]
        out += [f"All services running, draining {bl['published']['complaints']:,} complaints published straight to "
                f"ComplaintReceived ({bl['published']['expected_offers']:,} offers expected, "
                f"{bl['published']['offers_shown']:,} shown):", "",
                "| service | events | busy seconds | events/s | CPU ms/event |", "|---|---|---|---|---|"]
        for n in ("projections", "escalation", "recovery", "followup"):
            if n in bl:
                r = bl[n]
                out.append(f"| {n} | {r['events']:,} | {r['seconds']} | {r['per_s']:,} | {r['cpu_ms_per_event']} |")
        th, lat = lc["throughput"], lc["latency"]
        out += ["", f"Through intake (closed loop, {run.sizes.intake_concurrency} connections): "
                    f"{th['complaints']:,} complaints, intake accepted {th['intake_rate']:,}/s; "
                    f"{th['offers_shown']:,}/{th['expected_offers']:,} offers shown after "
                    f"{th['seconds_to_last_offer']} s; CPU seconds per process: {th['cpu_s']}. "
                    f"Then {sum(th['follow_ups'].values()):,} follow-up answers at {th['follow_up_rate']:,}/s "
                    f"(HTTP statuses {th['follow_ups']}).",
                "", f"Latency run: {lat['posted']:,} complaints at {lat['offered_rate']:.0f}/s; "
                    f"{lat['with_offer']:,} got an automatic offer (the others wait for a person by policy); "
                    f"POST itself p50 {lat['post_p50_ms']} ms / p99 {lat['post_p99_ms']} ms; "
                    f"CPU share (cores) per process: {lat.get('cpu_share')}; "
                    f"follow-up answers sent meanwhile: {lat['follow_ups']}.", ""]
        for key in ("memory_before_backlog", "memory", "memory_soak"):
            if key in lc:
                m = lc[key]
                out.append(f"RSS ({key.replace('_', ' ')}): {m['cases']:,} cases, {m['open_cases']:,} open, "
                           f"{m['events']:,} events projected: " + ", ".join(f"{n} {v} MB"
                                                                             for n, v in m["rss_mb"].items()))
        out.append("")
    if "replay" in d:
        out += ["### Replay", "", "```json", json.dumps(d["replay"], indent=1), "```", ""]
    if "read" in d:
        out += ["### Read side (`--only read`)", "", "```json", json.dumps(d["read"], indent=1), "```", ""]
    if "timers" in d:
        out += ["### SLA timers (median of the ticks, µs)", "", "```json", json.dumps(d["timers"], indent=1),
                "```", ""]
    return "\n".join(out)


def render(run: Run, facts: dict[str, Any], command: str, seconds: float) -> str:
    s = run.sizes
    parts = [
        "# Profiles" if run.profile else "# Benchmarks",
        "",
        f"Regenerated by `{command}` on {facts['date']} in {seconds / 60:.1f} min (preset `{s.name}`). "
        "Every ceiling was measured in the same run, on the same machine and broker. "
        + ("Do not edit by hand: rerun the command." if run.profile else
           "Do not edit by hand: edit `bench/analysis.md` (the analysis below) and re-render with "
           "`python -m bench --render-from bench/results.json`, or rerun."),
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        _kv({k.replace("_", " "): v for k, v in facts.items()}),
        "",
        "## Results",
        "",
        table(run),
        "",
        "Sizes of this run: " + ", ".join(f"{k}={v}" for k, v in vars(s).items() if k != "name") + ".",
        "",
    ]
    if run.notes:
        parts += ["Notes:", "", *[f"- {n}" for n in run.notes], ""]
    parts += ["## Details", "", _details(run)]
    read_only = set(run.details) <= {"read", "phase_seconds"}
    if ANALYSIS.exists() and not run.profile and not read_only:
        parts += [ANALYSIS.read_text().strip(), ""]
    if READ_ANALYSIS.exists() and "read" in run.details:
        parts += [READ_ANALYSIS.read_text().strip(), ""]
    profiles = sorted((run.folder / "profiles").glob("*.spy")) if (run.folder / "profiles").exists() else []
    if profiles:
        parts += ["## Profiles of this run", "",
                  "py-spy, CPU samples only (`--gil`: samples while a thread holds the GIL), grouped by the "
                  "component a frame on the stack identifies (`bench/spy.py`), start-up imports left out. "
                  "`alone-<service>`: the service alone at its maximum rate (intake's closed loop; a worker "
                  "draining a backlog). `stack-<service>`: each service over the whole lifecycle phase "
                  "(latency at 100/s, throughput through intake, the backlog). `replay-sqlite`: the bench "
                  "process and the replay's shard processes during the SQLite replay.", ""]
        for p in profiles:
            parts += [f"### {p.stem}", "", "```", breakdown(p), "```", ""]
    return "\n".join(parts).rstrip() + "\n"
