"""Overhead of the instrumentation (complaints/observability): the same work with it on and off.

"On" is what every service runs by default: `/metrics` and every counter behind it, the HTTP
middleware, the worker's observing edge, JSON-lines logs (tracing stays off: no OTLP endpoint is
configured by default). "Off" is `COMPLAINTS_METRICS_ENABLED=false`.

Both run in this one process, side by side, on the embedded broker, each with its own databases,
taking turns round by round on the same inputs, and the CPU this process spends per unit of work
is compared (`time.process_time`: the event loop, the producer, the database threads):
- intake: the real app (`services.intake.app.create_app`), `POST /complaints` called through
  its ASGI interface by `CONCURRENCY` concurrent callers, every complaint acked by the broker;
- a worker (recovery): the real `Worker` deciding rounds of consumed ComplaintReceived records
  (its `consume` entry point: decode, load, decide, publish acked, save), as faust hands them over.
On two cores shared with other work, service processes' rates move by tens of percent between
identical runs (bench/RESULTS.md); CPU per unit of work, in one process, with the two modes
interleaved, is steady to about a percent, and on a saturated service it is the rate it costs.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from bench.context import POLICY, Figure, Run
from bench.mix import Mix, received_records
from complaints.broker.embedded import start_broker
from complaints.domain import recovery
from complaints.domain.policy import load_policy
from complaints.kafka.producer import EventProducer
from complaints.observability import tracing
from complaints.settings import Settings
from complaints.topics import ensure_topics

TARGET = 0.05
ROUNDS = 10
CONCURRENCY = 32
WORKER = "recovery"
#: The worker also runs "traced" (after the on / off rounds, on the same records): tracing on, every
#: span encoded as OTLP protobuf, then dropped (what an export costs this process, but the network).
MODES = ("off", "on", "traced")
#: As bench/procs.py gives the services (settings a version without them ignores); one client, no rate limit.
BENCH_SECRETS: dict[str, Any] = {"pii_lookup_secret": "bench-lookup-secret-0123456789",
                                 "vault_master_key": "bench:" + "A" * 43 + "=", "intake_rate_limit": "off"}


def _span_sink() -> Any:
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Encoded(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            encode_spans(spans).SerializeToString()
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Encoded()))
    return provider


def _settings(base: Settings, folder: Any, mode: str) -> Settings:
    return base.model_copy(update={"metrics_enabled": mode != "off", "database_url": f"sqlite:///{folder}/{mode}.db",
                                   "vault_url": f"sqlite:///{folder}/{mode}-vault.db"})


async def _post(app: Any, body: bytes) -> int:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/complaints", "raw_path": b"/complaints", "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8001)}
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status = [0]

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]

    await app(scope, receive, send)
    return status[0]


async def _intake(run: Run, base: Settings) -> dict[str, list[float]]:
    from services.intake.app import create_app

    folder = run.sub("overhead-intake")
    per_round = max(200, int(run.sizes.intake_seconds * 150))
    bodies = [c.json() for c in Mix(load_policy(POLICY), seed=40, predict=False).take(per_round * ROUNDS * 2 + 400)]
    apps = {mode: create_app(_settings(base, folder, mode)) for mode in ("off", "on")}
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    async with apps["off"].router.lifespan_context(apps["off"]), apps["on"].router.lifespan_context(apps["on"]):
        async def load(app: Any, batch: list[bytes]) -> float:
            todo = iter(batch)

            async def caller() -> int:
                accepted = 0
                for body in todo:
                    status = await _post(app, body)
                    accepted += status == 202
                return accepted

            started = time.process_time()
            accepted = sum(await asyncio.gather(*(caller() for _ in range(CONCURRENCY))))
            return (time.process_time() - started) * 1000 / max(accepted, 1)

        it = iter(bodies)
        for mode in ("off", "on"):  # warm-up: connections, statements, caches
            await load(apps[mode], [next(it) for _ in range(200)])
        for round_ in range(ROUNDS):
            for mode in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
                cpu[mode].append(await load(apps[mode], [next(it) for _ in range(per_round)]))
    run.say(f"overhead, intake ms CPU per complaint: {cpu}")
    return cpu


async def _worker(run: Run, base: Settings) -> dict[str, list[float]]:
    from complaints.observability.worker import instrument_worker
    from complaints.worker.decider import LifecycleDecider
    from complaints.worker.runtime import Worker

    folder = run.sub("overhead-worker")
    policy = load_policy(POLICY)
    n = max(ROUNDS * run.sizes.overhead_batches * 500, run.sizes.solo_complaints)  # faust batches per round
    records, _ = received_records(policy, n, seed=50)
    messages = [SimpleNamespace(topic=r.topic, partition=i % base.partitions, offset=i, key=r.key, value=r.value,
                                headers=r.headers) for i, r in enumerate(records)]
    workers: dict[str, Any] = {}
    for mode in MODES:
        worker = Worker(WORKER, _settings(base, folder, mode), LifecycleDecider(policy, recovery.react))
        workers[mode] = instrument_worker(worker) if mode != "off" else worker
        worker._producer = EventProducer(worker.settings)
        await worker._producer.start()
    cpu: dict[str, list[float]] = {mode: [] for mode in MODES}
    size = 500  # a faust batch (complaints.worker.tuning.BATCH_MAX)
    chunks = [messages[i:i + size] for i in range(0, len(messages), size)]
    provider = _span_sink()

    async def measure(mode: str, mine: list[list[Any]]) -> None:
        tracing.use_provider(provider if mode == "traced" else None)
        started, events = time.process_time(), sum(len(c) for c in mine)
        for chunk in mine:
            await workers[mode].consume(chunk)
        if mode == "traced":
            provider.force_flush()  # the spans' export, in this round
        cpu[mode].append((time.process_time() - started) * 1000 / max(events, 1))

    try:
        per_round = max(1, len(chunks) // ROUNDS)
        for round_ in range(ROUNDS):  # on / off, interleaved
            mine = chunks[round_ * per_round:(round_ + 1) * per_round]
            for mode in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
                await measure(mode, mine)
        for round_ in range(ROUNDS):  # then traced, on the same records again (each worker has its own state)
            gc.collect()  # the traced rounds' garbage is not left for the next round to collect
            await measure("traced", chunks[round_ * per_round:(round_ + 1) * per_round])
    finally:
        tracing.use_provider(None)
        provider.shutdown()
        for worker in workers.values():
            await worker.producer.stop()
    run.say(f"overhead, {WORKER} ms CPU per event: {cpu}")
    return cpu


def run_overhead(run: Run) -> None:
    broker = start_broker()
    try:
        base = Settings(kafka_bootstrap_servers=broker.bootstrap, broker_profile="tansu",
                        partitions=run.sizes.partitions, policy_file=POLICY, **BENCH_SECRETS)
        ensure_topics(base)
        measured = {"intake": asyncio.run(_intake(run, base)), WORKER: asyncio.run(_worker(run, base))}
    finally:
        broker.stop()
    median: Callable[[list[float]], float] = statistics.median
    cpu = {w: {m: median(v) for m, v in by.items()} for w, by in measured.items()}
    cost = {w: c["on"] / c["off"] - 1 for w, c in cpu.items()}
    traced = cpu[WORKER]["traced"] / cpu[WORKER]["off"] - 1
    run.details["overhead"] = {"rounds": ROUNDS, "cpu_ms": measured, "median_cpu_ms": cpu,
                               "cost": {k: round(v, 4) for k, v in cost.items()}, "worker_traced": round(traced, 4)}
    worst = max(cost.values())
    run.add(Figure(
        "overhead: instrumentation on vs off (metrics, HTTP middleware, worker edge, JSON logs), same run",
        f"intake {cost['intake']:+.1%} CPU per complaint ({cpu['intake']['on']:.3f} vs {cpu['intake']['off']:.3f} "
        f"ms); {WORKER} worker {cost[WORKER]:+.1%} CPU per event ({cpu[WORKER]['on']:.3f} vs "
        f"{cpu[WORKER]['off']:.3f} ms)",
        "instrumentation off", f"{1 + worst:.0%} of off (worst)", f"≤ {TARGET:.0%}",
        "met" if worst <= TARGET else "missed",
        f"median of {ROUNDS} interleaved rounds per mode, both in one process on the embedded broker"))
    run.add(Figure(
        "overhead: the worker with tracing on as well (OTLP encoded, not sent), same run",
        f"{traced:+.1%} CPU per event ({cpu[WORKER]['traced']:.3f} vs {cpu[WORKER]['off']:.3f} ms)",
        "instrumentation off", "—", "— (off by default)", "info",
        "a span per consumed event and trace headers on every output; only when an OTLP endpoint is set"))
