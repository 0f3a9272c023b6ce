"""Live lag under load (`bench/readload.py`): publish new cases' events at a steady rate, time each one
from its publish to the moment `GET /complaints/{id}?min_position=<its position>` answers 200; sample
the service's RSS meanwhile.

`min_position` makes the service itself wait (bounded, `read_wait_s`; a 409 is asked again) until the
live projector has committed that record, so the lag is the whole path a reader sees: broker, consumer,
aligner, writer, commit, and the case view answered under the same load as every other read.
Beside it, the commit lag: publish → the record's offset stored in the read model (polled every 10 ms
straight from the database, `queries.offsets`), i.e. the projector's own part of that path.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.httpload import Connection, Request, percentile
from bench.procs import rss_mb
from bench.readgen import CHANNELS, SEALED
from complaints.envelope import Record, encode
from complaints.ids import deterministic_id
from complaints.settings import Settings
from schemas.common import Money
from schemas.events import ComplaintReceived, Event, RecoveryOffered, Remedy


def events(n: int, at: datetime, tag: str = "live") -> list[Event]:
    """Live case `n` (ids `<tag>-<n>`: one tag per deployment measured): received at `at`, then offered a remedy."""
    cid = f"{tag}-{n:07d}"
    amount = Money(amount=Decimal("12.50"), currency="EUR")
    return [
        ComplaintReceived(complaint_id=cid, channel=CHANNELS[n % len(CHANNELS)], customer_ref=f"live-cust-{n}",
                          personal=SEALED, category="wrong_order", category_source="classified", severity="low",
                          severity_source="classified", received_at=at, prior_complaints=0, policy_version="bench-1",
                          first_response_due_at=at + timedelta(hours=2)),
        RecoveryOffered(complaint_id=cid, offer_id=f"{cid}-o1", remedies=(
            Remedy(type="apology", description="We are sorry."),
            Remedy(type="coupon", amount=amount, description="For you.")), total=amount, apology="We are sorry.",
            level="front_line", authority_limit=Money(amount=Decimal("25.00"), currency="EUR"), offered_by="policy",
            reasons=("fair remedy",), follow_up_at=at + timedelta(hours=4), respond_by=at + timedelta(hours=72),
            episode=1, policy_version="bench-1"),
    ]


def _record(ev: Event, n: int) -> Record:
    now = datetime.now(UTC)
    return encode(ev, event_id=deterministic_id("bench-live", ev.topic, ev.complaint_id, str(n)), source="bench",
                  time=now)


def live(settings: Settings, url: str, ports: list[int], token: str, pids: dict[str, int], start_at: float,
         seconds: float, rate: float, sample_s: float, tag: str = "live") -> dict[str, Any]:
    """Publish and time the live events; each is read back through `ports` in turn (the processes serving
    reads), and the RSS of every process in `pids` is sampled."""
    from services.projections.storage.store import Catalog

    catalog = Catalog(url)
    try:
        return asyncio.run(_live(settings, catalog, ports, token, pids, start_at, seconds, rate, sample_s, tag))
    finally:
        catalog.dispose()


async def _live(settings: Settings, catalog: Any, ports: list[int], token: str, pids: dict[str, int],
                start_at: float, seconds: float, rate: float, sample_s: float, tag: str) -> dict[str, Any]:
    from aiokafka import AIOKafkaProducer

    from complaints.broker.profile import get_profile
    from complaints.topics import topic_name
    from services.projections.storage import queries

    auth = (("authorization", f"Bearer {token}"),)
    producer = AIOKafkaProducer(**get_profile(settings).aiokafka_producer(settings))
    await producer.start()
    lags: list[float] = []
    acks: list[float] = []
    commits: list[float] = []  # publish → the record's offset stored by the projector (its commit)
    uncommitted: dict[tuple[str, int, int], float] = {}
    rss: dict[str, list[float]] = {name: [] for name in pids}
    failed = 0
    idle: dict[int, list[Connection]] = {port: [] for port in ports}
    done = asyncio.Event()

    async def watch(rec: Record, t0: float, sent: Any, port: int) -> None:
        nonlocal failed
        meta = await sent
        acks.append((time.perf_counter() - t0) * 1000)
        uncommitted[(meta.topic, meta.partition, meta.offset)] = t0
        conn = idle[port].pop() if idle[port] else Connection("127.0.0.1", port)
        path = f"/complaints/{rec.key.decode()}?min_position={meta.topic}:{meta.partition}:{meta.offset}"
        try:
            for _ in range(10):  # a 409 after the bounded wait: ask again (the lag keeps counting)
                status, _ = await conn.send(Request("GET", path, headers=auth))
                if status != 409:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            failed += 1
            await conn.close()
            return
        if status == 200:
            lags.append((time.perf_counter() - t0) * 1000)
        else:
            failed += 1
        idle[port].append(conn)

    async def sample() -> None:
        while not done.is_set():
            for name, pid in pids.items():
                rss[name].append(rss_mb(pid))
            await asyncio.sleep(sample_s)

    async def committed() -> None:
        gen = await asyncio.to_thread(catalog.ensure_active)
        after = 0
        while not done.is_set() or (uncommitted and after < 500):  # then at most 5 s more for the last ones
            after += done.is_set()
            stored = await asyncio.to_thread(queries.offsets, gen)
            now = time.perf_counter()
            for pos in [p for p in uncommitted if stored.get(p[:2], 0) > p[2]]:
                commits.append((now - uncommitted.pop(pos)) * 1000)
            await asyncio.sleep(0.01)

    sampler, poller = asyncio.create_task(sample()), asyncio.create_task(committed())
    tasks: list[asyncio.Task[None]] = []
    try:
        await asyncio.sleep(max(start_at - time.time(), 0))
        begin = time.perf_counter()
        pending: list[Event] = []
        n = i = 0
        while time.perf_counter() - begin < seconds:
            await asyncio.sleep(max(begin + i / rate - time.perf_counter(), 0))
            if not pending:
                pending, n = events(n, datetime.now(UTC), tag), n + 1
            rec = _record(pending.pop(0), i)
            t0 = time.perf_counter()
            sent = await producer.send(topic_name(settings, rec.topic), rec.value, key=rec.key, headers=rec.headers)
            tasks.append(asyncio.create_task(watch(rec, t0, sent, ports[i % len(ports)])))
            i += 1
        await asyncio.gather(*tasks)
    finally:
        done.set()
        await sampler
        await poller
        await producer.stop()
        for conn in (c for conns in idle.values() for c in conns):
            await conn.close()
    return {"lag": {"n": len(lags), "p50_ms": round(percentile(lags, 50), 1), "p99_ms": round(percentile(lags, 99), 1),
                    "max_ms": round(max(lags, default=float("nan")), 1), "failed": failed,
                    "ack_p50_ms": round(percentile(acks, 50), 1)},
            "commit_lag": {"n": len(commits), "p50_ms": round(percentile(commits, 50), 1),
                           "p99_ms": round(percentile(commits, 99), 1), "max_ms": round(max(commits, default=0.0), 1)},
            "published": i, "rss_mb": {name: {"max": round(max(v, default=0.0), 1), "p50": round(percentile(v, 50), 1)}
                                       for name, v in rss.items()},
            "rss_samples": min(map(len, rss.values()), default=0)}
