"""Overhead of the instrumentation (complaints/observability): the same load with it on and off.

"On" is what every service runs by default: `/metrics` and every counter behind it, the HTTP
middleware, JSON-lines logs (tracing stays off: no OTLP endpoint is configured by default).
"Off" is `COMPLAINTS_METRICS_ENABLED=false`. Measured in the same run, alternating off / on
(`ROUNDS` times each), best of each, so a neighbour's burst on the shared cores hits both:
- intake: complaints/s accepted, closed loop, as in the intake phase;
- a worker (recovery) alone draining a backlog of ComplaintReceived, events/s, as in the
  lifecycle phase's solo figure.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.context import POLICY, Figure, Run
from bench.httpload import closed_loop
from bench.intake import request, summarise
from bench.lifecycle import _env, _in_background, _watch
from bench.mix import Mix, received_records
from bench.procs import Services
from complaints.broker.embedded import start_broker
from complaints.domain.policy import load_policy
from complaints.settings import Settings
from complaints.topics import ensure_topics

TARGET = 0.05
ROUNDS = 2
WORKER = "recovery"
MODES = {"off": {"COMPLAINTS_METRICS_ENABLED": "false"}, "on": {"COMPLAINTS_METRICS_ENABLED": "true"}}


def _intake(run: Run, mode: str, round_: int) -> float:
    s = run.sizes
    folder = run.sub(f"overhead-intake-{mode}-{round_}")
    broker = start_broker()
    services = Services(_env(broker, folder, s.partitions), folder, overrides={"intake": MODES[mode]})
    try:
        ensure_topics(Settings(kafka_bootstrap_servers=broker.bootstrap, broker_profile="tansu",
                               partitions=s.partitions))
        services.start("intake")
        port = services["intake"].port or 0
        bodies = iter([request(c) for c in Mix(load_policy(POLICY), seed=40 + round_, predict=False,
                                               run=f"{mode}{round_}").take(int(s.intake_seconds * 4000) + 300)])

        async def go() -> dict[str, Any]:
            await closed_loop("127.0.0.1", port, bodies, concurrency=8, seconds=30, limit=200)  # warm-up
            return summarise(await closed_loop("127.0.0.1", port, bodies, concurrency=s.intake_concurrency,
                                               seconds=s.intake_seconds))

        result = asyncio.run(go())
    finally:
        services.stop()
        broker.stop()
    run.say(f"overhead, intake {mode}: {result}")
    return float(result["rate"])


def _worker(run: Run, mode: str, round_: int) -> float:
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
    return float(result["per_s"])


def run_overhead(run: Run) -> None:
    rates: dict[str, dict[str, list[float]]] = {"intake": {"off": [], "on": []}, WORKER: {"off": [], "on": []}}
    for round_ in range(ROUNDS):
        for mode in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
            rates["intake"][mode].append(_intake(run, mode, round_))
            rates[WORKER][mode].append(_worker(run, mode, round_))
    best = {what: {mode: max(values) for mode, values in by_mode.items()} for what, by_mode in rates.items()}
    cost = {what: 1 - b["on"] / b["off"] if b["off"] else 0.0 for what, b in best.items()}
    run.details["overhead"] = {"rounds": ROUNDS, "rates": rates, "best": best,
                               "cost": {k: round(v, 4) for k, v in cost.items()}}
    worst = max(cost.values())
    run.add(Figure(
        "overhead: instrumentation on vs off (metrics, HTTP middleware, JSON logs), same run",
        f"intake {cost['intake']:+.1%} ({best['intake']['on']:,.0f}/s on, {best['intake']['off']:,.0f}/s off); "
        f"{WORKER} worker {cost[WORKER]:+.1%} ({best[WORKER]['on']:,.0f} events/s on, "
        f"{best[WORKER]['off']:,.0f} off)",
        "instrumentation off", f"{1 - worst:.0%} of off (worst)", f"≤ {TARGET:.0%} slower",
        "met" if worst <= TARGET else "missed",
        f"best of {ROUNDS} alternating runs each; a negative cost is noise"))
