"""Figures of the `read` phase's HTTP load (`bench/readload.py`): per deployment, RSS and live lag; the reads'
p99s under the load for the one-process deployment."""

from __future__ import annotations

from typing import Any

from bench.context import Figure, Run
from bench.readdeploy import deployment_name

#: (figure, which labels) of the reads reported under load; the worst p99 among a family's labels.
FAMILIES = (("queue page, every filter × sort (and its next page), worst",
             lambda n: n.startswith("queue ") and not n.startswith("queue as_of")),
            ("KPIs, whole history", lambda n: n == "kpis whole history"),
            ("KPIs, whole history, one channel", lambda n: n == "kpis whole history channel=social"),
            ("queue as_of (4 filters × 3 moments), worst", lambda n: n.startswith("queue as_of")),
            ("case view", lambda n: n == "case view"), ("case view as_of", lambda n: n == "case view as_of"))


def figures(run: Run, db: str, r: dict[str, Any]) -> None:
    h = r.get("http")
    if not h:
        return
    from bench.readload import PREFIX

    n = f"{r['cases']:,} cases"
    note = (f"`read` phase over HTTP (`bench/readload.py`): the projections service as its own process on the same "
            f"generation, {h['clients']} client processes looping over the heaviest reads for {h['seconds']:g} s "
            f"while {h['rate_per_s']:g} new events/s are published (topics prefixed `{PREFIX}`); p99s there "
            "include queueing behind the other clients' reads on the service's one event loop. Then the same "
            "load on the split deployment (`bench/readdeploy.py`): one writer process projects and serves no "
            "client, reader processes (`COMPLAINTS_PROJECTIONS_ROLE=reader`) serve every read; commit lag read "
            "from the database, visible lag through the readers.")
    if note not in run.notes:
        run.notes.append(note)
    _deployment_figures(run, f"read ({db}) over HTTP, {h['clients']} client processes", n, h, True)
    if h.get("split"):
        split = h["split"]
        _deployment_figures(run, f"read ({db}) over HTTP, {h['clients']} client processes, split: "
                                 f"{deployment_name(split['readers'])}", n, split, False)


def _deployment_figures(run: Run, head: str, n: str, h: dict[str, Any], reads: bool) -> None:
    """RSS and both lags of one deployment; `reads`: the reads' p99 families too."""
    ceiling = h["by_route"].get("health (ceiling)", {})
    bare = f"`/health` under the same clients p99 {ceiling.get('p99_ms')} ms"
    each = "; ".join(f"{name} {p['max']} MB (before {p['before']}, {p['cpu_cores']} cores)"
                     for name, p in h.get("processes", {}).items())
    run.add(Figure(f"{head}: projections RSS, max while they run the heaviest reads, {n}",
                   f"{h['rss_mb_max']} MB (p50 {h['rss_mb_p50']}; before {h['rss_mb_before']}, after "
                   f"{h['rss_mb_after']}; {h['requests_per_s']} req/s, service {h['service_cpu_cores']} cores"
                   + (f"; per process: {each})" if h.get("readers") else ")"),
                   "—", "—", "≤ 250 MB", "met" if h["rss_mb_max"] <= 250 else "missed"))
    lag, done = h["lag"], h["commit_lag"]
    events = f"{lag['n']} events at {h['rate_per_s']:g}/s"
    w = h.get("writer")  # its writing thread, over the load: wall far above CPU = it waited
    wrote = (f"; writing {w['batches']:.0f} batches took {w['write_s'] * 1000 / max(w['batches'], 1):.1f} ms each, "
             f"{w['write_cpu_s'] * 1000 / max(w['batches'], 1):.1f} ms of it the thread's CPU") if w else ""
    run.add(Figure(f"{head}: live lag, publish → committed by the projector, max, {n}",
                   f"{done['max_ms']} ms (p50 {done['p50_ms']}, p99 {done['p99_ms']} ms; {events}{wrote})",
                   f"broker ack p50 {lag['ack_p50_ms']} ms", "—", "< 1000 ms",
                   "met" if done["max_ms"] < 1000 and done["n"] == lag["n"] + lag["failed"] else "missed"))
    run.add(Figure(f"{head}: live lag, publish → visible in `GET /complaints/{{id}}` under the same load, max, {n}",
                   f"{lag['max_ms']} ms (p50 {lag['p50_ms']}, p99 {lag['p99_ms']} ms; {events}, "
                   f"{lag['failed']} not seen)", bare, "—", "< 1000 ms",
                   "met" if lag["max_ms"] < 1000 and not lag["failed"] else "missed"))
    for name, pick in FAMILIES if reads else ():
        found = {k: v for k, v in h["by_route"].items() if pick(k) and v.get("n")}
        if not found:
            continue
        worst = max(found, key=lambda k: found[k]["p99_ms"])
        w = found[worst]
        detail = f"worst: {worst.removeprefix('queue ')}; " if len(found) > 1 else ""
        run.add(Figure(f"{head}: {name} p99 under the load, {n}",
                       f"{w['p99_ms']} ms ({detail}p50 {w['p50_ms']} ms, {sum(v['n'] for v in found.values())} "
                       f"answers)", bare, f"{w['p99_ms'] / ceiling['p99_ms']:.1f}×" if ceiling.get("p99_ms") else "—",
                       "report", "info"))
