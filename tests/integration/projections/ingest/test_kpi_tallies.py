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
from datetime import timedelta

from hypothesis import strategies as st
from pydantic_core import from_json
from sqlalchemy import select

from complaints.readmodel.fold import fold
from complaints.readmodel.kpis import compute_kpis
from complaints.readmodel.queue import QueueFilter, matches
from services.projections.ingest.writer import apply_batch
from services.projections.storage import kpistore
from services.projections.storage.store import Catalog, Generation
from tests.integration.projections.histories import CHANNELS, SPAN, deliveries, history, some_time, window
from tests.integration.projections.runs import drawn, full_run
from tests.unit.readmodel.factory import T0


def tally_rows(gen: Generation) -> list[tuple[object, ...]]:
    with gen.engine.connect() as conn:
        return [tuple(r) for r in kpistore.all_rows(conn, gen.tables.kpis)]


DRAWS = {"seed": st.integers(0, 2**32), "cases": st.integers(1, 25)}


@drawn(8, **DRAWS)
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
        assert sorted(tally_rows(gen)) == fresh, "the tallies are the sum over the cases as they stand"

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


test_the_tallies_answer_any_window_exactly_as_the_events_fold_25_examples = full_run(
    test_the_tallies_answer_any_window_exactly_as_the_events_fold, 25, **DRAWS)
