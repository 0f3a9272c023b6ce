"""A synthetic read model for the `read` phase: N cases' events, straight through the projector's batch writer.

Histories follow the bench's complaint mix loosely: most cases get an offer from the front line within
minutes and a follow-up hours later; a quarter are escalated first (to a level and often a
department); some reopen one level up; some are still waiting. Received times are spread at about
2,740 cases a day (a large company's year at 1M cases), ending at `END`. Each event becomes the
record the services would publish (`envelope.encode`), decoded as the live projector does
(`ingest.records.classify`), and batches go to `ingest.writer.apply_batch` — the whole projector
minus the broker, so a 1M-case read model builds in minutes instead of hours through the stack.
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from complaints.envelope import encode
from complaints.ids import deterministic_id
from schemas.common import LEVELS, Money, Sealed
from schemas.events import ComplaintReceived, Escalated, Event, FollowedUp, RecoveryOffered, Remedy

END = datetime(2026, 11, 1, tzinfo=UTC)
PER_DAY = 2_740
CHANNELS = ("web", "email", "phone", "chat", "social", "in_person")
DEPARTMENTS = ("product", "finance", "operations")
SEALED = Sealed(key_ref="bench", nonce="bm9uY2Vub25jZTE", ciphertext="c2VjcmV0LWNvbnRhY3QtZGV0YWlscw")
M, H = timedelta(minutes=1), timedelta(hours=1)


@dataclass
class Built:
    cases: int = 0
    events: int = 0
    write_s: float = 0.0  # inside apply_batch only
    make_s: float = 0.0  # building, encoding and decoding the records
    finish_s: float = 0.0  # of write_s: `bulk.finish` (the indexes a bulk build defers)


def _received(cid: str, at: datetime, rng: random.Random, customers: int) -> ComplaintReceived:
    return ComplaintReceived(
        complaint_id=cid, channel=rng.choice(CHANNELS), customer_ref=f"cust-{rng.randrange(customers)}",
        personal=SEALED, category=rng.choice(("wrong_order", "delivery", "billing", "product_defect")),
        category_source="classified", severity=rng.choice(("low", "low", "medium", "high")),
        severity_source="classified", received_at=at, prior_complaints=0, policy_version="bench-1",
        first_response_due_at=at + 2 * H)


def _offer(cid: str, at: datetime, n: int, level: str, episode: int, rng: random.Random,
           department: str | None) -> RecoveryOffered:
    cents = rng.randrange(100, 20_000)
    amount = Money(amount=Decimal(cents).scaleb(-2), currency=rng.choice(("EUR", "EUR", "USD")))
    return RecoveryOffered(
        complaint_id=cid, offer_id=f"{cid}-o{n}", remedies=(
            Remedy(type="apology", description="We are sorry."),
            Remedy(type=rng.choice(("refund", "coupon", "replacement")), amount=amount, description="For you.")),
        total=amount, apology="We are sorry.", level=level, department=department,
        authority_limit=Money(amount=Decimal("500.00"), currency=amount.currency), offered_by="policy",
        reasons=("fair remedy",), follow_up_at=at + 4 * H, respond_by=at + 72 * H, episode=episode,
        policy_version="bench-1")


def history(cid: str, at: datetime, rng: random.Random, customers: int) -> list[tuple[Event, datetime]]:
    out: list[tuple[Event, datetime]] = [(_received(cid, at, rng, customers), at)]
    level, episode, department = "front_line", 1, None
    if rng.random() < 0.25:
        level = rng.choice(LEVELS[1:4])
        department = rng.choice(DEPARTMENTS) if level == "department" or rng.random() < 0.3 else None
        at += timedelta(seconds=rng.randrange(1, 120))
        out.append((Escalated(complaint_id=cid, level=level, department=department, from_level="front_line",
                              reason="triage", reasons=("triage",), sla_due_at=at + 4 * H, episode=1,
                              policy_version="bench-1"), at))
    for n in range(1, 3):
        if rng.random() < 0.08:
            return out  # still waiting for a first response
        at += timedelta(seconds=rng.randrange(5, 3 * 3600 if level != "front_line" else 600))
        offer = _offer(cid, at, n, level, episode, rng, department)
        out.append((offer, at))
        if rng.random() < 0.15:
            return out  # offered, not followed up yet
        at += timedelta(seconds=rng.randrange(3600, 30 * 3600))
        outcome = rng.choices(("satisfied", "unsatisfied", "no_response"), (80, 12, 8))[0]
        csat = None if outcome == "no_response" else (rng.randrange(4, 6) if outcome == "satisfied" else 2)
        out.append((FollowedUp(complaint_id=cid, offer_id=offer.offer_id, outcome=outcome,
                               satisfied={"satisfied": True, "unsatisfied": False}.get(outcome), csat=csat,
                               episode=episode, policy_version="bench-1", recorded_by="agent-7",
                               reasons=("answered",)), at))
        if outcome != "unsatisfied" or level == "executive":
            return out
        up = LEVELS[LEVELS.index(level) + 1]
        episode += 1
        at += timedelta(seconds=1)
        out.append((Escalated(complaint_id=cid, level=up, department=department, from_level=level,
                              reason="reopened", reasons=("reopened",), sla_due_at=at + 2 * H, episode=episode,
                              policy_version="bench-1"), at))
        level = up
    return out


def records(cases: int, partitions: int, seed: int = 15, chunk: int = 2_000) -> Iterator[list[SimpleNamespace]]:
    """Consumer-like records of `cases` cases, roughly in time order, `chunk` cases at a time."""
    rng = random.Random(seed)
    start = END - timedelta(days=cases / PER_DAY)
    step = timedelta(days=1) / PER_DAY
    offsets = [[0] * partitions for _ in range(4)]
    topics = {"ComplaintReceived": 0, "Escalated": 1, "RecoveryOffered": 2, "FollowedUp": 3}
    for first in range(0, cases, chunk):
        events: list[tuple[datetime, str, Event]] = []
        for i in range(first, min(first + chunk, cases)):
            cid = f"bench-{i:08d}"
            at = start + i * step + timedelta(microseconds=rng.randrange(1_000_000))
            events += [(when, cid, ev) for ev, when in history(cid, at, rng, max(cases // 3, 1))]
        events.sort(key=lambda e: e[0])
        out = []
        for when, cid, ev in events:
            part = zlib.crc32(cid.encode()) % partitions
            row = offsets[topics[ev.topic]]
            rec = encode(ev, event_id=deterministic_id("bench", ev.topic, cid, when.isoformat()), source="bench",
                         time=when)
            out.append(SimpleNamespace(topic=ev.topic, partition=part, offset=row[part], headers=rec.headers,
                                       value=rec.value, key=rec.key))
            row[part] += 1
        yield out


def build(gen: object, cases: int, partitions: int = 6, batch: int = 5_000) -> Built:
    """Write `cases` cases into the generation through `apply_batch`, then `bulk.finish` it (both timed, apart from
    making the records), under
    the garbage-collector settings the projector and a replay run with (`tuning.batch_gc`)."""
    from services.projections.tuning import batch_gc

    with batch_gc():
        return _build(gen, cases, partitions, batch)


def _build(gen: object, cases: int, partitions: int, batch: int) -> Built:
    from complaints.readmodel.casedoc import policy_first_response
    from services.projections.ingest.records import classify
    from services.projections.ingest.writer import apply_batch
    from services.projections.storage.bulk import finish
    from services.projections.storage.store import Generation

    assert isinstance(gen, Generation)
    sla = policy_first_response()  # as the projector's wiring passes it
    built = Built()
    pending = []
    t0 = time.perf_counter()
    for recs in records(cases, partitions):
        pending += [classify(r) for r in recs]
        while len(pending) >= batch:
            items, pending = pending[:batch], pending[batch:]
            built.make_s += time.perf_counter() - t0
            t1 = time.perf_counter()
            built.events += apply_batch(gen, items, first_response=sla).applied
            built.write_s += time.perf_counter() - t1
            t0 = time.perf_counter()
    built.make_s += time.perf_counter() - t0
    if pending:
        t1 = time.perf_counter()
        built.events += apply_batch(gen, pending, first_response=sla).applied
        built.write_s += time.perf_counter() - t1
    t1 = time.perf_counter()
    finish(gen)  # a bulk generation's deferred indexes: part of the build
    built.finish_s = time.perf_counter() - t1
    built.write_s += built.finish_s
    built.cases = cases
    return built
