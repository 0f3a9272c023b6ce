"""Random case histories for property tests of the read model: events, and their delivery in random batches.

Cases are received at arbitrary moments over a few days, escalated, offered (amounts with 0-2 decimals),
followed up, reopened; some lose their received event or get it late, some events carry a skewed clock
(earlier than the event before). Records arrive interleaved over three partitions per topic.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from complaints.ids import deterministic_id
from schemas.common import LEVELS, Money
from schemas.events import OfferAccepted, OfferDeclined, OfferFulfilled
from services.projections.ingest.writer import Classified, apply_batch
from tests.unit.readmodel.factory import T0, Ev, escalated, followed, offered, received

CHANNELS = ("web", "email", "social", "phone", "chat", "in_person")
SPAN = timedelta(days=4)


def some_time(rng: random.Random, after: datetime, most: timedelta) -> datetime:
    return after + timedelta(microseconds=rng.randrange(1, int(most / timedelta(microseconds=1))))


def amount_text(rng: random.Random) -> str:
    places = rng.choice((0, 1, 2))
    return f"{rng.randrange(1, 100_000) / 10 ** places:.{places}f}"


def history(rng: random.Random, cid: str) -> list[Ev]:
    at = some_time(rng, T0, SPAN)
    events = [received(cid, at, channel=rng.choice(CHANNELS), customer=f"cust-{rng.randrange(5)}")]
    level, episode, n = "front_line", 1, 0
    offer: str | None = None
    for _ in range(rng.randrange(0, 7)):
        at = some_time(rng, at, timedelta(hours=rng.choice((1, 6, 30))))
        if rng.random() < 0.2:
            at -= timedelta(hours=rng.choice((1, 2, 40)))  # a skewed clock: earlier than the event before
        step = rng.random()
        if step < 0.25 and level != "executive":
            higher = rng.choice(LEVELS[LEVELS.index(level) + 1:])
            events.append(escalated(cid, at, level=higher, from_level=level, episode=episode,
                                    department=rng.choice((None, "finance", "product")),
                                    reason=rng.choice(("triage", "sla_breached", "manual")),
                                    sla=timedelta(minutes=rng.randrange(5, 600))))
            level = higher
        elif step < 0.6 or offer is None:
            n += 1
            remedies = [(rng.choice(("refund", "coupon", "replacement")),
                         amount_text(rng) if rng.random() < 0.8 else None, rng.choice(("EUR", "USD")))
                        for _ in range(rng.randrange(1, 3))]
            new = f"{cid}-o{n}"
            events.append(offered(cid, at, offer_id=new, remedies=remedies, level=level, episode=episode,
                                  supersedes=offer if offer and rng.random() < 0.3 else None))
            offer = new
            events += answers(rng, cid, new, episode, at)
        else:
            outcome = rng.choice(("satisfied", "unsatisfied", "no_response"))
            events.append(followed(cid, at, offer_id=offer, outcome=outcome, episode=episode,
                                   csat=None if outcome == "no_response" else rng.choice((None, 1, 3, 5))))
            if outcome == "satisfied":
                break
            episode, offer = episode + 1, None
            at = some_time(rng, at, timedelta(minutes=5))
            up = LEVELS[min(LEVELS.index(level) + 1, len(LEVELS) - 1)]
            events.append(escalated(cid, at, level=up, from_level=level, reason="reopened", episode=episode))
            level = up
    if rng.random() < 0.05:
        events = events[1:]  # its received event never arrives: in no cohort
    elif rng.random() < 0.2:
        events = events[1:] + events[:1]  # it arrives last: the case is refolded
    return events


def deliveries(rng: random.Random, events: list[Ev]) -> list[list[Classified]]:
    """The records in a random interleaving over three partitions per topic, in random batches."""
    rng.shuffle(events)
    offsets: dict[tuple[str, int], int] = defaultdict(int)
    items = []
    for ev in events:
        part = (ev.event.topic, rng.randrange(3))
        items.append(Classified(part[0], part[1], offsets[part], envelope=ev.envelope(),
                                payload=ev.record().value.decode()))
        offsets[part] += 1
    batches, i = [], 0
    while i < len(items):
        size = rng.randrange(1, 12)
        batches.append(items[i:i + size])
        i += size
    return batches


def window(rng: random.Random) -> tuple[datetime | None, datetime | None]:
    def moment() -> datetime | None:
        pick = rng.random()
        if pick < 0.25:
            return None
        day = T0.replace(hour=0) + timedelta(days=rng.randrange(-1, 6))
        return day if pick < 0.5 else some_time(rng, T0 - timedelta(days=1), SPAN + 2 * timedelta(days=1))
    a, b = moment(), moment()
    return (a, b) if a is None or b is None or a <= b else (b, a)


def answers(rng: random.Random, cid: str, offer: str, episode: int, at: datetime) -> list[Ev]:
    """Sometimes the customer accepts (and the offer is fulfilled) or declines, some minutes later."""
    pick, out = rng.random(), []
    if pick < 0.4:
        at = some_time(rng, at, timedelta(minutes=30))
        out.append(Ev(OfferAccepted(complaint_id=cid, offer_id=offer, episode=episode, recorded_by="customer"),
                      at, deterministic_id("test", "accepted", offer)))
        if rng.random() < 0.6:
            at = some_time(rng, at, timedelta(hours=3))
            amount = Money(amount=Decimal(amount_text(rng)), currency=rng.choice(("EUR", "USD")))
            out.append(Ev(OfferFulfilled(complaint_id=cid, offer_id=offer, episode=episode, amount=amount,
                                         reference="ref-1", fulfilled_by="agent-7"),
                          at, deterministic_id("test", "fulfilled", offer)))
    elif pick < 0.5:
        at = some_time(rng, at, timedelta(minutes=30))
        out.append(Ev(OfferDeclined(complaint_id=cid, offer_id=offer, episode=episode, recorded_by="customer"),
                      at, deterministic_id("test", "declined", offer)))
    return out


def apply_random_cases(gen: Any, rng: random.Random, cases: int,
                       alter: Callable[[random.Random, list[Ev]], list[Ev]] | None = None,
                       ) -> dict[str, list[tuple[Any, Any]]]:
    """`cases` random histories (each changed by `alter`, if given), delivered in random batches through the
    writer into `gen`; per case, its (envelope, position) pairs in delivery order."""
    made = (history(rng, f"c{i:03d}") for i in range(cases))
    batches = deliveries(rng, [ev for events in made for ev in (events if alter is None else alter(rng, events))])
    for batch in batches:
        apply_batch(gen, batch)
    by_case: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
    for item in (i for batch in batches for i in batch):
        by_case[item.env.complaint_id].append((item.env, item.position))
    return by_case
