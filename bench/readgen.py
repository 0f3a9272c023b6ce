"""A synthetic read model for the `read` phase: N cases' events, straight through the projector's batch writer.

Histories follow the bench's complaint mix loosely: most cases get an offer from the front line within
minutes and a follow-up hours later; a quarter are escalated first (to a level and often a
department); some reopen one level up; some are still waiting. Received times are spread at about
2,740 cases a day (a large company's year at 1M cases), ending at `END`. Each event becomes the
record the services would publish (`envelope.encode`), decoded as the live projector does
(`ingest.records.classify`), and batches go to `ingest.writer.apply_batch` — the whole projector
minus the broker, so a 1M-case read model builds in minutes instead of hours through the stack.
The build itself (`bench.readbuild`) runs as a replay does: a bulk generation, one process per group
of partition numbers, batches of `replay_batch_records`.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

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
    write_s: float = 0.0  # applying the batches (wall clock; all processes together) and `bulk.finish`
    make_s: float = 0.0  # building, encoding and decoding the records
    finish_s: float = 0.0  # of write_s: `bulk.finish` (the indexes a bulk build defers)
    processes: int = 1


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


def case_id(i: int) -> str:
    """The id of the model's case number `i` (0 ≤ i < cases)."""
    return f"bench-{i:08d}"


def sample_ids(rng: random.Random, cases: int, n: int = 2_000) -> list[str]:
    """`n` (at most `cases`) ids of a built model's cases, drawn at random with repeats: the cases a read reads."""
    return [case_id(rng.randrange(cases)) for _ in range(min(n, cases))]


def records(cases: int, partitions: int, seed: int = 15, chunk: int = 2_000, shard: tuple[int, int] = (0, 1),
            ) -> Iterator[list[SimpleNamespace]]:
    """Consumer-like records of `cases` cases, roughly in time order, `chunk` cases at a time; `shard` (k, n):
    only those of the partitions numbered k modulo n (the same offsets)."""
    rng = random.Random(seed)
    start = END - timedelta(days=cases / PER_DAY)
    step = timedelta(days=1) / PER_DAY
    offsets = [[0] * partitions for _ in range(4)]
    topics = {"ComplaintReceived": 0, "Escalated": 1, "RecoveryOffered": 2, "FollowedUp": 3}
    for first in range(0, cases, chunk):
        events: list[tuple[datetime, str, Event]] = []
        for i in range(first, min(first + chunk, cases)):
            cid = case_id(i)
            at = start + i * step + timedelta(microseconds=rng.randrange(1_000_000))
            events += [(when, cid, ev) for ev, when in history(cid, at, rng, max(cases // 3, 1))]
        events.sort(key=lambda e: e[0])
        out = []
        for when, cid, ev in events:
            part = zlib.crc32(cid.encode()) % partitions
            row = offsets[topics[ev.topic]]
            if part % shard[1] != shard[0]:
                row[part] += 1
                continue
            rec = encode(ev, event_id=deterministic_id("bench", ev.topic, cid, when.isoformat()), source="bench",
                         time=when)
            out.append(SimpleNamespace(topic=ev.topic, partition=part, offset=row[part], headers=rec.headers,
                                       value=rec.value, key=rec.key))
            row[part] += 1
        yield out


def build(gen: object, cases: int, partitions: int = 6, batch: int = 10_000, processes: int | None = None) -> Built:
    """Write `cases` cases into a bulk generation as a replay does (`bench.readbuild`)."""
    from bench.readbuild import build as build_in

    return build_in(gen, cases, partitions, batch, processes)


@contextmanager
def built_model(url: str, cases: int) -> Iterator[tuple[Built, Any]]:
    """A fresh generation of `cases` cases at `url`, built as a replay builds it (`build`) and activated: how it
    was built, and the active generation as a reader opens it. The catalogs are disposed afterwards."""
    from services.projections.storage.store import Catalog

    catalog = Catalog(url)
    try:
        gen = catalog.create(bulk=True)
        built = build(gen, cases)
        catalog.activate(gen.id)
        reader = Catalog(url)
        try:
            active = reader.active()
            assert active is not None
            yield built, active
        finally:
            reader.dispose()
    finally:
        catalog.dispose()
