"""The KPI tallies the writer keeps equal the KPIs folded from the events, for any history, window and channel.

Random histories (hypothesis draws the seed of a generator): cases received at arbitrary moments over a few
days, escalated, offered (amounts with 0-2 decimals), followed up, reopened; some lose their received
event or get it late. Their records arrive interleaved across partitions in random batches. Then
`GET /kpis`'s query (`kpistore.kpi_report`: whole days from the tallies, edges from the cases) must equal
`compute_kpis` over the cases folded from scratch, and the tally rows must be exactly those a fresh
build of the final cases gives (nothing left behind by the many intermediate states).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_core import from_json
from sqlalchemy import select

from complaints.readmodel.fold import fold
from complaints.readmodel.kpis import compute_kpis
from complaints.readmodel.queue import QueueFilter, matches
from schemas.common import LEVELS
from services.projections.ingest.writer import Classified, apply_batch
from services.projections.storage import kpistore
from services.projections.storage.store import Catalog, Generation
from tests.unit.readmodel.factory import T0, Ev, escalated, followed, offered, received

CHANNELS = ("web", "email", "social", "phone", "chat", "in_person")
SPAN = timedelta(days=4)


def some_time(rng: random.Random, after: datetime, most: timedelta) -> datetime:
    return after + timedelta(microseconds=rng.randrange(1, int(most / timedelta(microseconds=1))))


def amount(rng: random.Random) -> str:
    places = rng.choice((0, 1, 2))
    return f"{rng.randrange(1, 100_000) / 10 ** places:.{places}f}"


def history(rng: random.Random, cid: str) -> list[Ev]:
    at = some_time(rng, T0, SPAN)
    events = [received(cid, at, channel=rng.choice(CHANNELS), customer=f"cust-{rng.randrange(5)}")]
    level, episode, n = "front_line", 1, 0
    offer: str | None = None
    for _ in range(rng.randrange(0, 7)):
        at = some_time(rng, at, timedelta(hours=rng.choice((1, 6, 30))))
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
            remedies = [(rng.choice(("refund", "coupon", "replacement")), amount(rng) if rng.random() < 0.8 else None,
                         rng.choice(("EUR", "USD"))) for _ in range(rng.randrange(1, 3))]
            new = f"{cid}-o{n}"
            events.append(offered(cid, at, offer_id=new, remedies=remedies, level=level, episode=episode,
                                  supersedes=offer if offer and rng.random() < 0.3 else None))
            offer = new
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


@pytest.fixture
def catalog(db_url: str) -> Iterator[Catalog]:
    cat = Catalog(db_url)
    try:
        yield cat
    finally:
        cat.dispose()


def tally_rows(gen: Generation) -> list[tuple[object, ...]]:
    with gen.engine.connect() as conn:
        return [tuple(r) for r in kpistore.all_rows(conn, gen.tables.kpis)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), cases=st.integers(1, 25))
def test_the_tallies_answer_any_window_exactly_as_the_events_fold(catalog: Catalog, seed: int, cases: int) -> None:
    rng = random.Random(seed)  # hypothesis' own randoms draw near-minimal values: all cases at one moment
    gen = catalog.create()
    try:
        events = [ev for i in range(cases) for ev in history(rng, f"c{i:03d}")]
        batches = deliveries(rng, list(events))
        for batch in batches:
            apply_batch(gen, batch)
        by_case = defaultdict(list)
        for batch in batches:
            for item in batch:
                by_case[item.env.complaint_id].append((item.env, item.position))
        folded = [case for case in (fold(items)[0] for items in by_case.values()) if case is not None]

        with gen.engine.connect() as conn:
            docs = {cid: from_json(doc) for cid, doc in conn.execute(select(gen.tables.cases.c.complaint_id,
                                                                            gen.tables.cases.c.doc))}
        fresh = sorted((*cell, n, total) for cell, (n, total) in kpistore.deltas({}, docs).items())
        assert tally_rows(gen) == fresh, "the tallies are the sum over the cases as they stand"

        for _ in range(8):
            start, end = window(rng)
            channel = rng.choice((None, *CHANNELS))
            now = some_time(rng, T0, SPAN + timedelta(days=1))
            cohort = QueueFilter(channel=channel, received_from=start, received_to=end)
            expected = compute_kpis([c for c in folded if c.received_at and matches(c, cohort, now)], now)
            got = kpistore.kpi_report(gen, start, end, channel, now)
            assert got == expected, (start, end, channel, now)
    finally:
        catalog.drop(gen.id, gen.location)
