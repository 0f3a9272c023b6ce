"""The tiered tallies (whole years, months, days, hours, fine and exact buckets) answer any window exactly as the
events fold.

Random histories over about three months (hypothesis draws the generator's seed): durations right at the
edges of the coarse and fine buckets (`kpitiers.BITS`; fine ones one second wide and wider), repeated values
(ranks landing on ties), negative ones (skewed clocks), unanswered cases with due times, half of them received
within hours of one moment, across a year's end; windows from whole years, months, days and hours, arbitrary
seconds inside an hour and arbitrary moments, long ones and ones of a few minutes or hours (inside one hour or
day, or across their ends); `now` often inside the due day of an unanswered case. `kpistore.kpi_report` must
equal `compute_kpis` over the cases folded from scratch.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

from hypothesis import strategies as st

from complaints.readmodel.fold import fold
from complaints.readmodel.kpis import compute_kpis
from complaints.readmodel.kpitiers import BITS
from complaints.readmodel.queue import QueueFilter, matches
from services.projections.ingest.writer import apply_batch
from services.projections.storage import kpistore
from services.projections.storage.store import Catalog
from tests.integration.projections.histories import deliveries, some_time
from tests.integration.projections.runs import drawn, full_run
from tests.unit.readmodel.factory import T0, Ev, escalated, followed, offered, received

FIRST = T0.replace(day=1, hour=0) - timedelta(days=10)  # 2025-12-22: the cases span Dec, Jan, Feb, Mar
SPREAD = timedelta(days=80)
TIES = (0, 7, 300, 3600)
HOT = timedelta(hours=7)  # half the cases are received in the 7 hours from one moment: short windows hold some


def edge_seconds(rng: random.Random) -> int:
    pick = rng.random()
    if pick < 0.2:
        return rng.choice(TIES)
    if pick < 0.3:
        return -rng.randrange(1, 5_000)
    lead = rng.randrange(1 << (BITS[0] - 1), 1 << BITS[0]) if pick < 0.65 else rng.randrange(
        1 << (BITS[1] - 1), 1 << BITS[1])
    return max((lead << rng.randrange(0, 8)) + rng.choice((-1, 0, 1)), 0)


def spread_history(rng: random.Random, cid: str, hot: datetime) -> list[Ev]:
    at = some_time(rng, FIRST, SPREAD) if rng.random() < 0.5 else some_time(rng, hot, HOT)
    events = [received(cid, at, channel=rng.choice(("web", "email", "social")))]
    if rng.random() < 0.3:  # unanswered: due at the escalation's SLA
        events.append(escalated(cid, at + timedelta(seconds=rng.randrange(1, 600)), level="supervisor",
                                sla=timedelta(minutes=rng.randrange(1, 3_000))))
        return events
    offer_at = at + timedelta(seconds=edge_seconds(rng), microseconds=rng.randrange(1_000_000))
    events.append(offered(cid, offer_at, offer_id=f"{cid}-o1", remedies=[("refund", "5.00", "EUR")]))
    if rng.random() < 0.7:
        events.append(followed(cid, at + timedelta(seconds=edge_seconds(rng), microseconds=rng.randrange(1_000_000)),
                               offer_id=f"{cid}-o1", outcome="satisfied", csat=5))
    return events


def moment(rng: random.Random) -> datetime | None:
    pick = rng.random()
    if pick < 0.1:
        return None
    if pick < 0.3:
        return rng.choice((datetime(2025, 1, 1), datetime(2025, 12, 1), datetime(2026, 1, 1), datetime(2026, 2, 1),
                           datetime(2026, 3, 1), datetime(2026, 4, 1), datetime(2027, 1, 1))).replace(tzinfo=T0.tzinfo)
    if pick < 0.45:
        return FIRST + timedelta(days=rng.randrange(-2, 84))
    if pick < 0.6:  # a whole hour
        return FIRST + timedelta(hours=rng.randrange(-48, 84 * 24))
    if pick < 0.75:  # a whole second inside an hour
        return FIRST + timedelta(hours=rng.randrange(-48, 84 * 24), seconds=rng.randrange(1, 3_600))
    return some_time(rng, FIRST - timedelta(days=2), SPREAD + timedelta(days=4))


def short(rng: random.Random, at: datetime) -> datetime:
    """The end of a window of a few minutes or hours from `at` (inside its hour or day, or across their ends)."""
    return at + rng.choice((timedelta(seconds=rng.randrange(1, 3_600)), timedelta(hours=rng.randrange(1, 30)),
                            timedelta(minutes=rng.randrange(1, 48 * 60))))


def near(rng: random.Random, hot: datetime) -> datetime:
    """A moment among the hot hours' cases: anywhere, or a whole hour."""
    if rng.random() < 0.5:
        return some_time(rng, hot - timedelta(hours=1), HOT + timedelta(hours=2))
    return hot.replace(minute=0, second=0, microsecond=0) + timedelta(hours=rng.randrange(-1, 9))


def window(rng: random.Random, hot: datetime) -> tuple[datetime | None, datetime | None]:
    a = moment(rng) if rng.random() < 0.6 else near(rng, hot)
    b = short(rng, a) if a is not None and rng.random() < 0.4 else moment(rng)
    return (a, b) if a is None or b is None or a <= b else (b, a)


DRAWS = {"seed": st.integers(0, 2**32), "cases": st.integers(1, 40)}


@drawn(7, **DRAWS)
def test_months_days_and_buckets_answer_any_window_exactly(catalog: Catalog, seed: int, cases: int) -> None:
    rng = random.Random(seed)
    gen = catalog.create()
    try:
        hot = FIRST + timedelta(days=rng.randrange(0, 80), hours=rng.randrange(24), seconds=rng.randrange(3_600))
        batches = deliveries(rng, [ev for i in range(cases) for ev in spread_history(rng, f"t{i:03d}", hot)])
        for batch in batches:
            apply_batch(gen, batch)
        by_case = defaultdict(list)
        for batch in batches:
            for item in batch:
                by_case[item.env.complaint_id].append((item.env, item.position))
        folded = [case for case in (fold(items)[0] for items in by_case.values()) if case is not None]
        dues = [c.sla.due_at for c in folded if c.sla.due_at is not None and c.first_response_at is None]
        for _ in range(8):
            start, end = window(rng, hot)
            channel = rng.choice((None, "web", "social"))
            now = (rng.choice(dues) + timedelta(minutes=rng.randrange(-300, 300)) if dues and rng.random() < 0.6
                   else some_time(rng, FIRST, SPREAD + timedelta(days=3)))
            cohort = QueueFilter(channel=channel, received_from=start, received_to=end)
            expected = compute_kpis([c for c in folded if c.received_at and matches(c, cohort, now)], now)
            got = kpistore.kpi_report(gen, start, end, channel, now)
            assert got == expected, (start, end, channel, now)
    finally:
        catalog.drop(gen.id, gen.location)


test_months_days_and_buckets_answer_any_window_exactly_20_examples = full_run(
    test_months_days_and_buckets_answer_any_window_exactly, 20, **DRAWS)
