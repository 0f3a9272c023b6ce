"""Intake: complaints/s accepted (acked by the broker) and latency at a fixed offered load.

Ceilings measured in the same run, on the same broker and load generator:
- a bare FastAPI endpoint with intake's validation and nothing else (`bench.bare_api`);
- the raw aiokafka producer rate for the same records (acks=all, the profile's linger).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from bench.context import POLICY, Figure, Run
from bench.httpload import LoadResult, Request, closed_loop, freeze_garbage, open_loop, percentile
from bench.kafkaio import produce
from bench.mix import Complaint, Mix, received_records
from bench.procs import Proc, Services, profiler_wrap, service_env
from complaints.broker.embedded import free_port, start_broker
from complaints.domain.policy import load_policy
from complaints.settings import Settings
from complaints.topics import ensure_topics

TARGET_RATE = 2000.0
TARGET_SHARE = 0.5
TARGET_P99_MS = 50.0


def request(c: Complaint) -> Request:
    headers = (("idempotency-key", c.idempotency_key),) if c.idempotency_key else ()
    return Request("POST", "/complaints", c.json(), headers, tag=c)


def summarise(result: LoadResult) -> dict[str, Any]:
    ok = result.ok(202)
    lat = [r.latency_ms for r in ok]
    return {"accepted": len(ok), "errors": result.errors + len(result.replies) - len(ok),
            "seconds": round(result.seconds, 2), "rate": round(result.rate(202), 1),
            "p50_ms": round(percentile(lat, 50), 1), "p99_ms": round(percentile(lat, 99), 1),
            "max_ms": round(max(lat), 1) if lat else float("nan")}


def drive(run: Run, port: int, mix: Mix) -> dict[str, dict[str, Any]]:
    """Warm up, then the closed-loop maximum, then the fixed offered load; one endpoint."""
    s = run.sizes
    # Enough distinct complaints for the maximum run at up to ~6,000/s.
    bodies = [request(c) for c in mix.take(int(s.intake_seconds * 4000) + 200)]
    fixed = [request(c) for c in mix.take(int(s.intake_fixed_rate * s.intake_fixed_seconds))]
    freeze_garbage()  # ~35k prepared requests: keep them out of the load generator's own full collections

    async def go() -> dict[str, dict[str, Any]]:
        it = iter(bodies)
        await closed_loop("127.0.0.1", port, it, concurrency=8, seconds=30, limit=100)  # warm-up
        top = await closed_loop("127.0.0.1", port, it, concurrency=s.intake_concurrency, seconds=s.intake_seconds)
        await asyncio.sleep(0.5)
        steady = await open_loop("127.0.0.1", port, fixed, rate=s.intake_fixed_rate)
        return {"max": summarise(top), "fixed": summarise(steady)}

    return asyncio.run(go())


def run_intake(run: Run) -> None:
    s = run.sizes
    folder = run.sub("intake")
    policy = load_policy(POLICY)
    broker = start_broker()
    try:
        settings = Settings(kafka_bootstrap_servers=broker.bootstrap, broker_profile="tansu", partitions=s.partitions)
        ensure_topics(settings)
        # 1. raw producer ceiling: the same ComplaintReceived records, straight to the broker.
        records, _ = received_records(policy, s.producer_records, seed=3)
        raw = asyncio.run(produce(settings, records))
        run.say(f"raw producer: {raw.per_s:,.0f} records/s ({raw.count} records)")
        # 2. bare endpoint ceiling.
        env = service_env(bootstrap=broker.bootstrap, database_url=f"sqlite:///{folder}/complaints.db",
                          projections_url=f"sqlite:///{folder}/projections.db",
                          vault_url=f"sqlite:///{folder}/vault.db", policy=POLICY, partitions=s.partitions)
        port = free_port()
        bare = Proc("bare-api", [sys.executable, "-m", "bench.bare_api", str(port)], env, folder / "bare-api.log",
                    folder / "cwd", port).start()
        try:
            bare.wait_http()
            bare_res = drive(run, port, Mix(policy, seed=21, predict=False))
            bare_rss = bare.rss_mb()
        finally:
            bare.stop()
        run.say(f"bare endpoint: {bare_res}")
        # 3. intake itself.
        services = Services(env, folder)
        if run.profile:
            services.wrap = profiler_wrap(run.sub("profiles"), "alone-")
        try:
            services.start("intake")
            intake_res = drive(run, services["intake"].port or 0, Mix(policy, seed=22, predict=False))
            intake_rss = services["intake"].rss_mb()
        finally:
            services.stop()
        run.say(f"intake: {intake_res}")
    finally:
        broker.stop()
    run.details["intake"] = {"raw_producer": {"records": raw.count, "per_s": round(raw.per_s)},
                             "bare": bare_res, "intake": intake_res,
                             "rss_mb": {"intake": round(intake_rss), "bare-api": round(bare_rss)},
                             "concurrency": s.intake_concurrency}
    figures(run, run.details["intake"])


def figures(run: Run, d: dict[str, Any]) -> None:
    s = run.sizes
    intake_res, bare_res = d["intake"], d["bare"]
    raw_per_s = d["raw_producer"]["per_s"]
    top, bare_top = intake_res["max"], bare_res["max"]
    share = top["rate"] / bare_top["rate"] if bare_top["rate"] else 0.0
    met = top["rate"] >= TARGET_RATE and share >= TARGET_SHARE
    run.add(Figure(
        "intake: complaints/s accepted (202, acked by the broker), closed loop",
        f"{top['rate']:,.0f}/s (p50 {top['p50_ms']} ms, p99 {top['p99_ms']} ms at {s.intake_concurrency} "
        f"connections)",
        f"bare endpoint {bare_top['rate']:,.0f}/s; raw producer {raw_per_s:,.0f} records/s",
        f"{share:.0%} of bare; {top['rate'] / raw_per_s:.1%} of producer",
        f"≥ {TARGET_RATE:,.0f}/s and ≥ {TARGET_SHARE:.0%} of bare",
        "met" if met else "missed", _shortfall(top["rate"], bare_top["rate"])))

    fixed, bare_fixed = intake_res["fixed"], bare_res["fixed"]
    run.add(Figure(
        f"intake: latency at {s.intake_fixed_rate:.0f}/s offered (open loop)",
        f"p50 {fixed['p50_ms']} ms, p99 {fixed['p99_ms']} ms ({fixed['rate']:,.0f}/s accepted, "
        f"{fixed['errors']} errors)",
        f"bare endpoint p50 {bare_fixed['p50_ms']} ms, p99 {bare_fixed['p99_ms']} ms",
        "—", f"p99 < {TARGET_P99_MS:.0f} ms",
        "met" if fixed["p99_ms"] < TARGET_P99_MS and not fixed["errors"] else "missed",
        "" if fixed["p99_ms"] < TARGET_P99_MS else f"p99 {fixed['p99_ms'] / TARGET_P99_MS:.0f}× the target: "
        f"{s.intake_fixed_rate:.0f}/s is above intake's capacity ({top['rate']:,.0f}/s), so requests queue"))


def _shortfall(rate: float, bare: float) -> str:
    """Each part of the intake target that was missed, and by how much (empty when both are met)."""
    parts = []
    if rate < TARGET_RATE:
        parts.append(f"{TARGET_RATE / max(rate, 1):.1f}× short of {TARGET_RATE:,.0f}/s")
    else:
        parts.append(f"{TARGET_RATE:,.0f}/s met")
    if rate < TARGET_SHARE * bare:
        parts.append(f"{TARGET_SHARE * bare / max(rate, 1):.1f}× short of half the bare endpoint")
    return "" if len(parts) == 1 and rate >= TARGET_RATE else "; ".join(parts)
