"""Valid-time versions: what the writer keeps equals the versions defined from the events, and the queue
`as_of` any moment read from them equals the queue's rules applied to every case folded as of that moment.

Random histories (`histories.py`: late received events, skewed clocks, random batches over partitions).
"""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.readmodel.fold import fold
from complaints.readmodel.model import Case
from complaints.readmodel.queue import QueueFilter, matches, page
from complaints.readmodel.validtime import versions
from schemas.common import LEVELS
from services.projections.storage import queries
from services.projections.storage import versions as stored
from services.projections.storage.codec import Times
from services.projections.storage.store import Catalog
from tests.integration.projections.histories import CHANNELS, SPAN, apply_random_cases, some_time
from tests.unit.readmodel.factory import T0

FILTERS = (QueueFilter(), QueueFilter(open=True), QueueFilter(open=False), QueueFilter(status=("escalated",)),
           QueueFilter(status=("received", "reopened")), QueueFilter(breached=True), QueueFilter(breached=False),
           QueueFilter(level="supervisor"), QueueFilter(department="finance"))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), cases=st.integers(1, 20))
def test_versions_and_the_queue_as_of_any_moment_follow_the_events(catalog: Catalog, seed: int, cases: int) -> None:
    rng = random.Random(seed)
    gen = catalog.create()
    try:
        by_case = apply_random_cases(gen, rng, cases)

        expected = stored.VersionChanges()
        for cid in sorted(by_case):
            expected.add(cid, versions(by_case[cid]), Times(), replace=True)  # as read back: naive UTC datetimes
        with gen.engine.connect() as conn:
            kept = stored.all_rows(conn, gen.tables.versions)
        assert kept == sorted(expected.rows), "the versions the writer kept are those the events define"

        for _ in range(6):
            as_of = some_time(rng, T0 - timedelta(hours=1), SPAN + timedelta(days=2))
            then = [c for c in (fold([i for i in items if i[0].time <= as_of])[0] for items in by_case.values())
                    if c is not None]
            f = rng.choice((*FILTERS, QueueFilter(channel=rng.choice(CHANNELS), level=rng.choice(LEVELS))))
            sort = rng.choice(("urgency", "newest", "oldest"))
            limit = rng.choice((1, 3, 50))
            want: list[Case] = [c for c in then if matches(c, f, as_of)]
            got, cursor, want_cursor = [], None, None
            for _ in range(len(want) + 1):  # every page, through the cursors
                page_got, cursor = queries.list_cases_at(gen, f, sort, cursor, limit, as_of)
                page_want, want_cursor = page(want, sort, want_cursor, limit)
                assert [c.complaint_id for c in page_got] == [c.complaint_id for c in page_want], (f, sort, as_of)
                assert page_got == page_want
                got += page_got
                if cursor is None:
                    break
            assert want_cursor is None and len(got) == len(want)
    finally:
        catalog.drop(gen.id, gen.location)
