"""Lifecycle: complaints/s from intake to a visible `RecoveryOffered`, end-to-end latency, events/s per service.

Ceiling: a bare faust agent (`bench.bare_agent`) passing records topic -> topic on the same
broker in the same run. Every service runs as its own process, as `complaints dev` runs them,
with the production policy (`deploy/policy.yaml`).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.context import POLICY, Figure, Run
from bench.httpload import Connection, Reply, Request, closed_loop, freeze_garbage, open_loop, percentile
from bench.intake import request
from bench.kafkaio import produce
from bench.mix import Complaint, Mix, received_records
from bench.procs import Proc, Services, cpu_seconds, profiler_wrap, rss_mb, service_env
from bench.readmodel import ReadModel
from complaints.auth.staff import Staff
from complaints.auth.tokens import create_dev_key, issue_dev_token
from complaints.broker.embedded import EmbeddedBroker, start_broker
from complaints.domain.policy import Policy, load_policy
from complaints.envelope import Record
from complaints.settings import Settings
from complaints.topics import ensure_topics

WORKERS = ("escalation", "recovery", "followup")
ALL = ("projections", "intake", *WORKERS)
TARGET_RATE = 1000.0
TARGET_SHARE = 0.6
TARGET_P50_MS, TARGET_P99_MS = 150.0, 500.0
TARGET_RSS_MB = 250.0
BARE_IN, BARE_OUT = "bench.bare.in", "bench.bare.out"


@dataclass
class Lifecycle:
    """What the lifecycle phase leaves for the replay and memory phases."""

    broker: EmbeddedBroker
    settings: Settings
    details: dict[str, Any] = field(default_factory=dict)


def _env(broker: EmbeddedBroker, folder: Path, partitions: int, projections_url: str | None = None) -> dict[str, str]:
    return service_env(bootstrap=broker.bootstrap, database_url=f"sqlite:///{folder}/complaints.db",
                       projections_url=projections_url or f"sqlite:///{folder}/projections.db",
                       vault_url=f"sqlite:///{folder}/vault.db", policy=POLICY, partitions=partitions,
                       auth_key_file=_key(folder))


def _key(folder: Path) -> Path:
    path = folder / "auth-signing-key.pem"
    return path if path.exists() else create_dev_key(path)


def staff_headers(folder: Path) -> tuple[tuple[str, str], ...]:
    """A senior agent's token for the staff requests the bench makes (case views, follow-ups)."""
    staff = Staff(id="bench", level="executive", roles=frozenset({"agent"}))
    token = issue_dev_token(Settings(auth_dev_key_file=_key(folder)), staff, timedelta(hours=12))
    return (("authorization", f"Bearer {token}"),)


# ceiling: the bare agent ----------------------------------------------------
def bare_agent(run: Run, broker: EmbeddedBroker, settings: Settings, policy: Policy) -> dict[str, Any]:
    n = run.sizes.agent_events
    folder = run.sub("bare-agent")
    ensure_topics(settings, [BARE_IN, BARE_OUT])
    out = folder / "result.json"
    proc = Proc("bare-agent", [sys.executable, "-m", "bench.bare_agent", BARE_IN, BARE_OUT, str(n), str(out)],
                _env(broker, folder, run.sizes.partitions), folder / "bare-agent.log", folder / "cwd").start()
    try:
        ready = Path(str(out) + ".ready")
        deadline = time.monotonic() + 60
        while not ready.exists():
            if not proc.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"bare agent did not start:\n{proc.tail()}")
            time.sleep(0.05)
        records, _ = received_records(policy, n, seed=5)
        cpu0 = proc.cpu_seconds()
        asyncio.run(produce(settings, records, topic=BARE_IN))
        deadline = time.monotonic() + max(120, n / 200)
        while not out.exists():
            if not proc.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"bare agent did not finish:\n{proc.tail()}")
            time.sleep(0.05)
        result = json.loads(out.read_text())
        cpu = proc.cpu_seconds() - cpu0
    finally:
        proc.stop()
    rate = result["events"] / result["seconds"]
    run.say(f"bare faust agent: {rate:,.0f} events/s ({n} events, {cpu / n * 1000:.2f} ms CPU/event)")
    return {"events": n, "seconds": round(result["seconds"], 2), "per_s": round(rate),
            "cpu_ms_per_event": round(cpu / n * 1000, 3)}


# a worker alone draining a backlog -------------------------------------------
def _watch(services: Services, names: tuple[str, ...], until: dict[str, int], timeout: float,
           model: ReadModel | None = None, offers: int = 0, interval: float = 0.25,
           ) -> dict[str, dict[str, float]]:
    """Poll /stats (and the read model) until each service processed its count and stopped moving.

    Returns per service: events processed in the window, busy seconds (first to last change),
    events/s, CPU seconds and CPU ms per event.
    """
    pids = {n: services[n].pid for n in names}
    cpu0 = {n: cpu_seconds(p) for n, p in pids.items()}
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    start_counts: dict[str, int] = {}
    counts: dict[str, int] = {}
    cpu_at_last: dict[str, float] = {}
    done: set[str] = set()
    stable: dict[str, int] = {}
    started = time.monotonic()
    while len(done) < len(names) and time.monotonic() - started < timeout:
        now = time.monotonic()
        for n in names:
            if n in done:
                continue
            if n == "projections":
                assert model is not None
                value = model.count_offered() if offers else model.applied()
                count = model.applied()
            else:
                stats = services.stats(n)
                value = count = int(stats["processed"])  # type: ignore[call-overload]
            start_counts.setdefault(n, count)
            if count != counts.get(n):
                first.setdefault(n, now)
                last[n] = now
                cpu_at_last[n] = cpu_seconds(pids[n])
                stable[n] = 0
            else:
                stable[n] = stable.get(n, 0) + 1
            counts[n] = count
            goal = offers if (n == "projections" and offers) else until.get(n, 0)
            if value >= goal and stable[n] * interval >= 1.0:
                done.add(n)
        time.sleep(interval)
    out = {}
    for n in names:
        busy = max(last.get(n, 0) - first.get(n, 0), 1e-3)
        events = counts.get(n, 0) - start_counts.get(n, 0)
        cpu = cpu_at_last.get(n, cpu0[n]) - cpu0[n]
        out[n] = {"events": events, "seconds": round(busy, 2), "per_s": round(events / busy),
                  "cpu_s": round(cpu, 2), "cpu_ms_per_event": round(cpu / events * 1000, 3) if events else 0.0,
                  "finished": n in done}
    return out


def solo(run: Run, name: str, policy: Policy) -> dict[str, Any]:
    """One worker alone on a fresh broker, draining a backlog of ComplaintReceived (plus what it emits)."""
    n = run.sizes.solo_complaints
    folder = run.sub(f"solo-{name}")
    broker = start_broker()
    services = Services(_env(broker, folder, run.sizes.partitions), folder)
    if run.profile:
        services.wrap = profiler_wrap(run.sub("profiles"), "alone-")
    try:
        settings = Settings(kafka_bootstrap_servers=broker.bootstrap, broker_profile="tansu",
                            partitions=run.sizes.partitions)
        ensure_topics(settings)
        records, _ = received_records(policy, n, seed=9)
        services.start(name)
        sender = _in_background(settings, records)
        # Polled every 20 ms: the busy window (first to last change) is then within ~2 % of the truth.
        res = _watch(services, (name,), {name: n}, timeout=max(120, n / 50), interval=0.02)[name]
        sender.join()
        res["rss_mb"] = round(services[name].rss_mb())
    finally:
        services.stop()
        broker.stop()
    run.say(f"{name} alone: {res}")
    return res


class _Sender(threading.Thread):
    def __init__(self, settings: Settings, records: list[Record]) -> None:
        super().__init__(daemon=True)
        self.settings, self.records, self.rate = settings, records, 0.0

    def run(self) -> None:
        self.rate = asyncio.run(produce(self.settings, self.records)).per_s


def _in_background(settings: Settings, records: list[Record]) -> _Sender:
    """Publish while the caller watches the services (so the watch sees the very start)."""
    sender = _Sender(settings, records)
    sender.start()
    return sender


# the whole stack -----------------------------------------------------------------
class Stack:
    def __init__(self, run: Run, broker: EmbeddedBroker, folder: Path) -> None:
        self.run = run
        self.broker = broker
        self.folder = folder
        self.projections_url = f"sqlite:///{folder}/projections.db"
        self.services = Services(_env(broker, folder, run.sizes.partitions, self.projections_url), folder)
        self.staff = staff_headers(folder)
        if not run.shared_db:  # each service its own SQLite file, as `complaints dev` runs them
            self.services.overrides = {n: {"COMPLAINTS_DATABASE_URL": f"sqlite:///{folder}/{n}.db"} for n in ALL}
        self.model = ReadModel(self.projections_url)
        if run.profile:
            self.services.wrap = profiler_wrap(run.sub("profiles"), "stack-")

    def start(self) -> Stack:
        self.services.start(*ALL)
        self.model.refresh()
        return self

    def port(self, name: str) -> int:
        port = self.services[name].port
        assert port is not None
        return port

    def stop(self) -> None:
        self.services.stop()
        self.model.dispose()


async def _follow_up(conn: Connection, complaint_id: str, answer: str, rng: random.Random,
                     auth: tuple[tuple[str, str], ...]) -> int:
    """Post the customer's answer; retried while the follow-up service has not seen the offer yet.

    That is 409 (case known, offer not yet) or 404 (case not yet seen at all): the case view can
    show an offer before the follow-up worker consumed it, and this id is known to exist.
    """
    satisfied = answer == "satisfied"
    body = json.dumps({"satisfied": satisfied, "csat": rng.choice([4, 5] if satisfied else [1, 2])}).encode()
    status = 0
    for _ in range(100):
        status, _ = await conn.send(Request("POST", f"/complaints/{complaint_id}/follow-up", body, auth))
        if status not in (404, 409):
            return status
        await asyncio.sleep(0.05)
    return status


async def _offer_watch(stack: Stack, pending: dict[str, float], seen: dict[str, float], done: asyncio.Event,
                       answers: dict[str, str], stats: dict[str, int], interval: float = 0.005) -> None:
    """Poll the read model for offers on pending cases, confirm each through the case view, answer some.

    Confirmations run concurrently on a few connections, so a slow case view delays only its own case.
    """
    views = [Connection("127.0.0.1", stack.port("projections")) for _ in range(8)]
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for conn in views:
        idle.put_nowait(conn)
    follow = await Connection("127.0.0.1", stack.port("followup")).open()
    rng = random.Random(1)
    tasks: list[asyncio.Task[None]] = []
    checking: set[str] = set()
    follow_lock = asyncio.Lock()

    async def answer(cid: str, what: str) -> None:
        async with follow_lock:
            status = await _follow_up(follow, cid, what, rng, stack.staff)
        stats[str(status)] = stats.get(str(status), 0) + 1

    async def confirm(cid: str) -> None:
        conn = await idle.get()
        try:
            status, body = await conn.send(Request("GET", f"/complaints/{cid}", headers=stack.staff))
        finally:
            idle.put_nowait(conn)
            checking.discard(cid)
        if status == 200 and json.loads(body).get("offers"):
            seen[cid] = time.perf_counter()
            pending.pop(cid, None)
            if cid in answers:
                tasks.append(asyncio.create_task(answer(cid, answers[cid])))

    try:
        while not (done.is_set() and not pending):
            ids = [c for c in pending if c not in checking]
            found = await asyncio.to_thread(stack.model.offered, ids) if ids else set()
            for cid in found:
                checking.add(cid)
                tasks.append(asyncio.create_task(confirm(cid)))
            await asyncio.sleep(interval)
        while tasks:
            await tasks.pop()
    finally:
        for conn in views:
            await conn.close()
        await follow.close()


def latency(run: Run, stack: Stack, mix: Mix) -> dict[str, Any]:
    """POST at a fixed rate; for each complaint the policy offers on, time until the case view shows the offer."""
    s = run.sizes
    complaints = mix.take(int(s.latency_rate * s.latency_seconds))
    freeze_garbage()
    cpu0 = {n: stack.services[n].cpu_seconds() for n in ALL}
    t0 = time.monotonic()

    async def go() -> dict[str, Any]:
        pending: dict[str, float] = {}
        started: dict[str, float] = {}
        seen: dict[str, float] = {}
        answers: dict[str, str] = {}
        follow_stats: dict[str, int] = {}
        done = asyncio.Event()

        def on_reply(reply: Reply) -> None:
            c: Complaint = reply.request.tag  # type: ignore[assignment]
            if reply.status == 202 and c.offer_expected:
                cid = json.loads(reply.body)["complaint_id"]
                started[cid] = reply.started
                pending[cid] = reply.started
                if c.answer:
                    answers[cid] = c.answer

        watcher = asyncio.create_task(_offer_watch(stack, pending, seen, done, answers, follow_stats))
        posted = await open_loop("127.0.0.1", stack.port("intake"), [request(c) for c in complaints],
                                 rate=s.latency_rate, on_reply=on_reply)
        deadline = time.perf_counter() + 30
        while pending and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        missing = len(pending)
        pending.clear()
        done.set()
        await watcher
        lat = [(seen[c] - started[c]) * 1000 for c in seen]
        post = [r.latency_ms for r in posted.ok(202)]
        return {"offered_rate": s.latency_rate, "posted": len(complaints), "accepted": len(posted.ok(202)),
                "with_offer": len(lat), "never_shown": missing,
                "p50_ms": round(percentile(lat, 50), 1), "p90_ms": round(percentile(lat, 90), 1),
                "p99_ms": round(percentile(lat, 99), 1), "max_ms": round(max(lat), 1) if lat else None,
                "post_p50_ms": round(percentile(post, 50), 1), "post_p99_ms": round(percentile(post, 99), 1),
                "follow_ups": follow_stats}

    res = asyncio.run(go())
    secs = time.monotonic() - t0
    res["cpu_share"] = {n: round((stack.services[n].cpu_seconds() - cpu0[n]) / secs, 2) for n in ALL}
    run.say(f"end-to-end latency: {res}")
    return res


def throughput(run: Run, stack: Stack, mix: Mix) -> dict[str, Any]:
    """As many complaints as intake takes (closed loop); time until every expected offer shows in the read model."""
    s = run.sizes
    complaints = mix.take(s.lifecycle_complaints)
    expected = sum(c.offer_expected for c in complaints)
    base = stack.model.count_offered()
    counts0 = {n: int(stack.services.stats(n)["processed"]) for n in WORKERS}  # type: ignore[call-overload]
    cpu0 = {n: stack.services[n].cpu_seconds() for n in ALL}

    async def go() -> dict[str, Any]:
        answers: dict[str, str] = {}
        accepted: list[str] = []

        def on_reply(reply: Reply) -> None:
            c: Complaint = reply.request.tag  # type: ignore[assignment]
            if reply.status == 202:
                cid = json.loads(reply.body)["complaint_id"]
                accepted.append(cid)
                if c.answer and c.offer_expected:
                    answers[cid] = c.answer

        t0 = time.perf_counter()
        sender = asyncio.create_task(closed_loop("127.0.0.1", stack.port("intake"), iter(map(request, complaints)),
                                                 concurrency=s.intake_concurrency, seconds=3600, on_reply=on_reply))
        offered = 0
        last_change = t0
        deadline = t0 + max(120, s.lifecycle_complaints / 20)
        while time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
            now_offered = await asyncio.to_thread(stack.model.count_offered) - base
            if now_offered != offered:
                offered, last_change = now_offered, time.perf_counter()
            if sender.done() and offered >= expected:
                break
            if sender.done() and time.perf_counter() - last_change > 15:
                break  # no progress for 15 s: report what arrived
        posted = await sender
        t_offers = last_change - t0
        # The unhappy share answers now; their reopened cases get a new offer one level up.
        stats: dict[str, int] = {}
        conn = await Connection("127.0.0.1", stack.port("followup")).open()
        rng = random.Random(2)
        t1 = time.perf_counter()
        for cid, answer in answers.items():
            status = await _follow_up(conn, cid, answer, rng, stack.staff)
            stats[str(status)] = stats.get(str(status), 0) + 1
        t_follow = time.perf_counter() - t1
        await conn.close()
        return {"complaints": len(complaints), "accepted": len(posted.ok(202)), "intake_seconds": round(
            posted.seconds, 2), "intake_rate": round(posted.rate(202)), "expected_offers": expected,
            "offers_shown": offered, "seconds_to_last_offer": round(t_offers, 2),
            "per_s": round(offered / t_offers) if t_offers else 0, "follow_ups": stats,
            "follow_up_rate": round(len(answers) / t_follow) if answers and t_follow else 0}

    res = asyncio.run(go())
    time.sleep(1.0)
    counts1 = {n: int(stack.services.stats(n)["processed"]) for n in WORKERS}  # type: ignore[call-overload]
    secs = res["seconds_to_last_offer"] or 1.0
    res["service_events_per_s"] = {n: round((counts1[n] - counts0[n]) / secs) for n in WORKERS}
    res["cpu_s"] = {n: round(stack.services[n].cpu_seconds() - cpu0[n], 1) for n in ALL}
    run.say(f"lifecycle throughput: {res}")
    return res


def backlog(run: Run, stack: Stack, settings: Settings, policy: Policy, n: int, seed: int) -> dict[str, Any]:
    """Publish `n` ComplaintReceived straight to the topic; watch every service drain it (all running)."""
    records, offers = received_records(policy, n, seed=seed)
    base_offered = stack.model.count_offered()
    counts0 = {w: int(stack.services.stats(w)["processed"]) for w in WORKERS}  # type: ignore[call-overload]
    sender = _in_background(settings, records)
    # Each worker consumes all four topics: ComplaintReceived plus every decision the others make.
    until = {w: counts0[w] + n + offers for w in WORKERS}
    res = _watch(stack.services, ALL[:1] + WORKERS, until, timeout=max(300, n / 20), model=stack.model,
                 offers=base_offered + offers)
    sender.join()
    res["published"] = {"complaints": n, "per_s": round(sender.rate), "expected_offers": offers,
                        "offers_shown": stack.model.count_offered() - base_offered}
    run.say(f"backlog of {n:,}: {res}")
    return res


def memory(run: Run, stack: Stack, broker: EmbeddedBroker) -> dict[str, Any]:
    # Every service hands the heap freed after a burst back to the system within 10 s
    # (`complaints.heap`): RSS is read once that has happened, as the memory the process keeps.
    time.sleep(run.sizes.memory_settle_s)
    total, open_cases = stack.model.count_cases()
    rss = {n: round(stack.services[n].rss_mb()) for n in ALL}
    rss["broker (Tansu)"] = round(rss_mb(broker.process.pid))
    events = stack.model.applied()
    return {"cases": total, "open_cases": open_cases, "events": events, "rss_mb": rss}


def run_lifecycle(run: Run) -> Lifecycle:
    s = run.sizes
    policy = load_policy(POLICY)
    details: dict[str, Any] = {}
    if s.solo_complaints:
        details["solo"] = {name: solo(run, name, policy) for name in WORKERS}
    broker = start_broker()
    try:
        return _on_broker(run, broker, policy, details)
    except BaseException:
        broker.stop()
        raise


def _on_broker(run: Run, broker: EmbeddedBroker, policy: Policy, details: dict[str, Any]) -> Lifecycle:
    s = run.sizes
    settings = Settings(kafka_bootstrap_servers=broker.bootstrap, broker_profile="tansu", partitions=s.partitions)
    ensure_topics(settings)
    details["bare_agent"] = bare_agent(run, broker, settings, policy)
    stack = Stack(run, broker, run.sub("stack"))
    try:
        t = time.monotonic()
        stack.start()
        details["stack_started_s"] = round(time.monotonic() - t, 1)
        mix = Mix(policy, seed=31)
        details["latency"] = latency(run, stack, mix)
        details["throughput"] = throughput(run, stack, mix)
        details["memory_before_backlog"] = memory(run, stack, broker)
        details["backlog"] = backlog(run, stack, settings, policy, s.backlog_complaints, seed=41)
        details["memory"] = memory(run, stack, broker)
        soaked = 0
        while s.target_events and stack.model.applied() < s.target_events:
            chunk = min(100_000, max(10_000, (s.target_events - stack.model.applied()) // 2))
            backlog(run, stack, settings, policy, chunk, seed=100 + soaked)
            soaked += 1
        if soaked:
            details["memory_soak"] = memory(run, stack, broker)
    finally:
        stack.stop()
    run.details["lifecycle"] = details
    figures(run, details)
    return Lifecycle(broker, settings, details)


def figures(run: Run, d: dict[str, Any]) -> None:
    _figures(run, d)
    memory_figures(run, d)


def _figures(run: Run, d: dict[str, Any]) -> None:
    bare = d["bare_agent"]["per_s"]
    th = d["throughput"]
    run.add(Figure(
        "lifecycle: complaints/s from intake to `RecoveryOffered` shown in the case view (all services)",
        f"{th['per_s']:,}/s ({th['offers_shown']:,} of {th['expected_offers']:,} offers in "
        f"{th['seconds_to_last_offer']} s; intake took {th['intake_rate']:,}/s)",
        f"bare faust agent {bare:,} events/s", "—", f"≥ {TARGET_RATE:,.0f}/s",
        "met" if th["per_s"] >= TARGET_RATE and th["offers_shown"] >= th["expected_offers"] else "missed",
        "" if th["per_s"] >= TARGET_RATE else f"{TARGET_RATE / max(th['per_s'], 1):.1f}× short"))
    solo_res = d.get("solo", {})
    if solo_res:
        worst = min(solo_res.values(), key=lambda r: r["per_s"])["per_s"]
        shares = ", ".join(f"{n} {r['per_s']:,}/s ({r['per_s'] / bare:.0%})" for n, r in solo_res.items())
        run.add(Figure("lifecycle: events/s of each worker alone, draining a backlog", shares,
                       f"bare faust agent {bare:,} events/s", f"worst {worst / bare:.0%}",
                       f"≥ {TARGET_SHARE:.0%} of bare each",
                       "met" if worst >= TARGET_SHARE * bare else "missed",
                       "" if worst >= TARGET_SHARE * bare else
                       f"worst {TARGET_SHARE * bare / max(worst, 1):.2f}× short of {TARGET_SHARE:.0%}"))
    bl = d["backlog"]
    together = ", ".join(f"{n} {bl[n]['per_s']:,}/s" for n in ALL if n in bl)
    run.add(Figure("lifecycle: events/s of each service, all running on the 2 cores, draining "
                   f"{bl['published']['complaints']:,} complaints", together,
                   f"bare faust agent {bare:,} events/s (alone)", "—", "(context for the row above)", "info"))
    lat = d["latency"]
    ok = (lat["p50_ms"] < TARGET_P50_MS and lat["p99_ms"] < TARGET_P99_MS and not lat["never_shown"])
    run.add(Figure(
        f"end-to-end latency: POST → case view shows the offer, at {lat['offered_rate']:.0f} complaints/s",
        f"p50 {lat['p50_ms']} ms, p90 {lat['p90_ms']} ms, p99 {lat['p99_ms']} ms ({lat['with_offer']:,} cases"
        + (f", {lat['never_shown']} never shown" if lat["never_shown"] else "") + ")",
        "—", "—", f"p50 < {TARGET_P50_MS:.0f} ms, p99 < {TARGET_P99_MS:.0f} ms", "met" if ok else "missed",
        "" if ok else f"p50 {lat['p50_ms'] / TARGET_P50_MS:.0f}× and p99 {lat['p99_ms'] / TARGET_P99_MS:.0f}× the "
                      f"targets; the POST alone took p50 {lat['post_p50_ms']:.0f} ms"))


def memory_figures(run: Run, d: dict[str, Any]) -> None:
    for key, label in (("memory", "after the backlog"), ("memory_soak", "after the soak")):
        m = d.get(key)
        if not m:
            continue
        services = {n: v for n, v in m["rss_mb"].items() if n in ALL}
        worst = max(services.values())
        run.add(Figure(
            f"memory: RSS per process {label} ({m['open_cases']:,} open cases, {m['events']:,} events projected)",
            ", ".join(f"{n} {v} MB" for n, v in m["rss_mb"].items()), "—", "—",
            f"≤ {TARGET_RSS_MB:.0f} MB per service process",
            "met" if worst <= TARGET_RSS_MB else "missed",
            "" if m["open_cases"] >= 100_000 and m["events"] >= 1_000_000 else
            "scaled down: fewer open cases / events than the issue's 100k / 1M (run `--full` for those)"))
