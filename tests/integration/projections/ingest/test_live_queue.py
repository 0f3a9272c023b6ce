"""The live queue's SQL (`storage/queue.py`: phases, one status at a time, breach ranges) returns, page by page
through its cursors, exactly the cases the Python rules (`readmodel/queue.py` `matches`, `page`) pick from
the cases folded from scratch: every filter × sort, on both databases, over random histories."""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import strategies as st

from complaints.readmodel.fold import fold
from complaints.readmodel.model import Case
from complaints.readmodel.queue import QueueFilter, matches, page
from complaints.readmodel.summary import QueueItem, item_of
from services.projections.storage import queries
from services.projections.storage.store import Catalog
from tests.integration.projections.histories import CHANNELS, SPAN, apply_random_cases, some_time
from tests.integration.projections.runs import drawn, full_run
from tests.unit.readmodel.factory import T0

FILTERS = (
    QueueFilter(), QueueFilter(open=True), QueueFilter(open=False), QueueFilter(status=("escalated",)),
    QueueFilter(status=("received", "reopened")), QueueFilter(status=("closed", "recovery_offered", "received")),
    QueueFilter(status=("closed",), open=True), QueueFilter(status=("closed", "reopened"), open=False),
    QueueFilter(breached=True), QueueFilter(breached=False), QueueFilter(open=True, breached=False),
    QueueFilter(status=("received", "escalated"), breached=True), QueueFilter(level="supervisor"),
    QueueFilter(open=True, level="supervisor"), QueueFilter(department="finance"), QueueFilter(unassigned=True),
    QueueFilter(unassigned=False), QueueFilter(assignee="sam"), QueueFilter(customer="cust-1"),
    QueueFilter(received_from=T0 + timedelta(days=1), received_to=T0 + timedelta(days=2)),
    QueueFilter(open=True, received_from=T0 + timedelta(hours=30)),
    QueueFilter(received_from=T0 + timedelta(hours=12), received_to=T0 + timedelta(days=2), breached=True),
)


DRAWS = {"seed": st.integers(0, 2**32), "cases": st.integers(1, 25)}


@drawn(3, **DRAWS)
def test_live_queue_pages_are_the_rules_applied_to_the_folded_cases(catalog: Catalog, seed: int,
                                                                    cases: int) -> None:
    rng = random.Random(seed)
    gen = catalog.create()
    try:
        by_case = apply_random_cases(gen, rng, cases)
        folded = [c for c in (fold(items)[0] for items in by_case.values()) if c is not None]
        now = some_time(rng, T0, SPAN + timedelta(days=2))
        for f in (*FILTERS, QueueFilter(channel=rng.choice(CHANNELS), open=rng.choice((True, False, None)))):
            want: list[Case] = [c for c in folded if matches(c, f, now)]
            for sort in ("urgency", "newest", "oldest"):
                limit = rng.choice((1, 2, 5, 50))
                got: list[QueueItem] = []
                cursor, want_cursor = None, None
                for _ in range(len(want) + 1):  # every page, through the cursors
                    page_got, cursor = queries.list_cases(gen, f, sort, cursor, limit, now)
                    page_want, want_cursor = page(want, sort, want_cursor, limit)
                    assert [c.complaint_id for c in page_got] == [c.complaint_id for c in page_want], (f, sort)
                    assert page_got == [item_of(c) for c in page_want]  # the stored summaries, as defined
                    got += page_got
                    if cursor is None:
                        break
                assert want_cursor is None and len(got) == len(want), (f, sort, limit)
    finally:
        catalog.drop(gen.id, gen.location)


test_live_queue_pages_are_the_rules_applied_to_the_folded_cases_8_examples = full_run(
    test_live_queue_pages_are_the_rules_applied_to_the_folded_cases, 8, **DRAWS)
