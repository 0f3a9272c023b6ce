"""Overhead of the instrumentation (complaints/observability): the same load with it on and off.

"On" is what every service runs by default: `/metrics` and every counter behind it, the HTTP
middleware, JSON-lines logs (tracing stays off: no OTLP endpoint is configured by default).
"Off" is `COMPLAINTS_METRICS_ENABLED=false`. Measured in the same run, alternating off / on
(`ROUNDS` times each), so a neighbour's burst on the shared cores hits both:
- intake: complaints/s accepted, closed loop, as in the intake phase (half as long), then its CPU
  per complaint at the intake phase's fixed offered load (the same rate for both: intake's group
  commit makes the CPU per complaint depend on the rate);
- a worker (recovery) alone draining a backlog of ComplaintReceived, events/s, as in the
  lifecycle phase's solo figure.
The verdict is on CPU per unit of work (the service process's CPU seconds per accepted complaint
or per event, the median of the rounds): the instrumentation's cost is CPU, and on a saturated
process it is exactly the throughput it takes, while the rates themselves, on two cores shared
with whatever else runs, move by tens of percent between identical runs. The rates (best of the
rounds) are reported beside it.
"""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

from bench.context import POLICY, Figure, Run
from bench.httpload import closed_loop, open_loop
from bench.intake import request, summarise
from bench.lifecycle import _env, _in_background, _watch
from bench.mix import Mix, received_records
from bench.procs import Services
from complaints.broker.embedded import start_broker
from complaints.domain.policy import load_policy
from complaints.settings import Settings
from complaints.topics import ensure_topics

TARGET = 0.05
#: Alternating off/on rounds (the smoke run does fewer).
ROUNDS = 3
WORKER = "recovery"
MODES = {"off": {"COMPLAINTS_METRICS_ENABLED": "false"}, "on": {"COMPLAINTS_METRICS_ENABLED": "true"}}


def _intake(run: Run, mode: str, round_: int) -> tuple[float, float]:
    s = run.sizes
    folder = run.sub(f"overhead-intake-{mode}-{round_}")
    broker = start_broker()
    services = Services(_env(broker, folder, s.partitions), folder, overrides={"intake": MODES[mode]})
    try:
        ensure_topics(Settings(kafka_bootstrap_servers=broker.bootstrap, broker_profile="tansu",
                               partitions=s.partitions))
        services.start("intake")
        port = services["intake"].port or 0
        mix = Mix(load_policy(POLICY), seed=40 + round_, predict=False, run=f"{mode}{round_}")
        bodies = iter([request(c) for c in mix.take(int(s.intake_seconds * 2000) + 300)])
        fixed = [request(c) for c in mix.take(int(s.intake_fixed_rate * s.intake_fixed_seconds))]

        async def go() -> dict[str, Any]:
            await closed_loop("127.0.0.1", port, bodies, concurrency=8, seconds=30, limit=200)  # warm-up
            result = summarise(await closed_loop("127.0.0.1", port, bodies, concurrency=s.intake_concurrency,
                                                 seconds=s.intake_seconds / 2))
            await asyncio.sleep(0.5)
            cpu0 = services["intake"].cpu_seconds()
            steady = summarise(await open_loop("127.0.0.1", port, fixed, rate=s.intake_fixed_rate))
            result["cpu_ms_per_complaint"] = round((services["intake"].cpu_seconds() - cpu0) * 1000
                                                   / max(steady["accepted"], 1), 3)
            result["fixed"] = steady
            return result

        result = asyncio.run(go())
    finally:
        services.stop()
        broker.stop()
    run.say(f"overhead, intake {mode}: {result}")
    return float(result["rate"]), float(result["cpu_ms_per_complaint"])


def _worker(run: Run, mode: str, round_: int) -> tuple[float, float]:
    s = run.sizes
    n = s.solo_complaints or s.backlog_complaints
    folder = run.sub(f"overhead-{WORKER}-{mode}-{round_}")
    broker = start_broker()
    services = Services(_env(broker, folder, s.partitions), folder, overrides={WORKER: MODES[mode]})
    try:
        settings = Settings(kafka_bootstrap_servers=broker.bootstrap, broker_profile="tansu", partitions=s.partitions)
        ensure_topics(settings)
        records, _ = received_records(load_policy(POLICY), n, seed=50 + round_)
        services.start(WORKER)
        sender = _in_background(settings, records)
        result = _watch(services, (WORKER,), {WORKER: n}, timeout=max(120, n / 50), interval=0.02)[WORKER]
        sender.join()
    finally:
        services.stop()
        broker.stop()
    run.say(f"overhead, {WORKER} {mode}: {result}")
    return float(result["per_s"]), float(result["cpu_ms_per_event"])


def run_overhead(run: Run) -> None:
    rounds = 1 if run.sizes.name.startswith("quick") else ROUNDS
    measured: dict[str, dict[str, list[tuple[float, float]]]] = {w: {"off": [], "on": []} for w in ("intake", WORKER)}
    for round_ in range(rounds):
        for mode in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
            measured["intake"][mode].append(_intake(run, mode, round_))
            measured[WORKER][mode].append(_worker(run, mode, round_))
    rate = {w: {m: max(r for r, _ in v) for m, v in by.items()} for w, by in measured.items()}
    cpu = {w: {m: statistics.median(c for _, c in v) for m, v in by.items()} for w, by in measured.items()}
    cost = {w: c["on"] / c["off"] - 1 if c["off"] else 0.0 for w, c in cpu.items()}
    run.details["overhead"] = {"rounds": rounds, "measured": measured, "best_rate": rate,
                               "median_cpu_ms": cpu, "cpu_cost": {k: round(v, 4) for k, v in cost.items()}}
    worst = max(cost.values())
    run.add(Figure(
        "overhead: instrumentation on vs off (metrics, HTTP middleware, JSON logs), same run",
        f"CPU per unit of work: intake {cost['intake']:+.1%} ({cpu['intake']['on']:.3f} vs "
        f"{cpu['intake']['off']:.3f} ms/complaint), {WORKER} worker {cost[WORKER]:+.1%} "
        f"({cpu[WORKER]['on']:.3f} vs {cpu[WORKER]['off']:.3f} ms/event, draining a backlog); intake at "
        f"{run.sizes.intake_fixed_rate:.0f}/s offered",
        f"rates, best on / off: intake {rate['intake']['on']:,.0f} / {rate['intake']['off']:,.0f} per s; "
        f"{WORKER} {rate[WORKER]['on']:,.0f} / {rate[WORKER]['off']:,.0f} events/s",
        "—", f"≤ {TARGET:.0%}", "met" if worst <= TARGET else "missed",
        f"median of {rounds} alternating runs each; the rates are too noisy on shared cores to judge by"))
