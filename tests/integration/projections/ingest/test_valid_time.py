"""Valid-time versions: what the writer keeps equals the versions defined from the events, and the queue
`as_of` any moment read from them equals the queue's rules applied to every case folded as of that moment.

Random histories (`histories.py`: late received events, skewed clocks, random batches over partitions), and
histories whose received event is dated after its own event time (the queue `as_of`'s second walk,
`storage/asofpage.py`).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import strategies as st

from complaints.readmodel.fold import fold
from complaints.readmodel.model import Case
from complaints.readmodel.queue import QueueFilter, matches, page
from complaints.readmodel.validtime import versions
from schemas.common import LEVELS
from schemas.events import ComplaintReceived
from services.projections.storage import asofpage, queries
from services.projections.storage import versions as stored
from services.projections.storage.codec import Times
from services.projections.storage.store import Catalog
from tests.integration.projections.histories import (
    CHANNELS,
    SPAN,
    apply_random_cases,
    some_time,
)
from tests.integration.projections.runs import drawn, full_run
from tests.unit.readmodel.factory import T0, Ev

FILTERS = (QueueFilter(), QueueFilter(open=True), QueueFilter(open=False), QueueFilter(status=("escalated",)),
           QueueFilter(status=("received", "reopened")), QueueFilter(breached=True), QueueFilter(breached=False),
           QueueFilter(level="supervisor"), QueueFilter(department="finance"))


DRAWS = {"seed": st.integers(0, 2**32), "cases": st.integers(1, 20)}


@drawn(7, **DRAWS)
def test_versions_and_the_queue_as_of_any_moment_follow_the_events(catalog: Catalog, monkeypatch: pytest.MonkeyPatch,
                                                                   seed: int, cases: int) -> None:
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

        _assert_queue_as_of(gen, by_case, rng, monkeypatch)
    finally:
        catalog.drop(gen.id, gen.location)


test_versions_and_the_queue_as_of_any_moment_follow_the_events_20_examples = full_run(
    test_versions_and_the_queue_as_of_any_moment_follow_the_events, 20, **DRAWS)


def _assert_queue_as_of(gen: Any, by_case: dict[str, list[tuple[Any, Any]]], rng: random.Random,
                        monkeypatch: pytest.MonkeyPatch, sorts: tuple[str, ...] = ("urgency", "newest", "oldest"),
                        ) -> None:
    """Every page of the queue `as_of` random moments equals the queue's rules over every case folded then,
    whether the moment has few events before it (its cases' versions read alone) or not (the index walks)."""
    events = sum(len(items) for items in by_case.values())
    for _ in range(6):
        as_of = some_time(rng, T0 - timedelta(hours=1), SPAN + timedelta(days=2))
        monkeypatch.setattr(asofpage, "FEW", rng.choice((0, rng.randrange(events + 1), events)))
        then = [c for c in (fold([i for i in items if i[0].time <= as_of])[0] for items in by_case.values())
                if c is not None]
        f = rng.choice((*FILTERS, QueueFilter(channel=rng.choice(CHANNELS), level=rng.choice(LEVELS))))
        sort = rng.choice(sorts)
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


def _received_later(rng: random.Random, events: list[Ev]) -> list[Ev]:
    """Some received events dated (their received_at) after their own event time: by minutes to days."""
    out = []
    for ev in events:
        if isinstance(ev.event, ComplaintReceived) and rng.random() < 0.5:
            later = ev.at + rng.choice((timedelta(minutes=1), timedelta(hours=3), timedelta(days=2)))
            ev = replace(ev, event=ev.event.model_copy(update={"received_at": later}))
        out.append(ev)
    return out


@drawn(5, **DRAWS)
def test_the_queue_as_of_sorted_by_received_time_holds_cases_received_after_their_event_time(
        catalog: Catalog, monkeypatch: pytest.MonkeyPatch, seed: int, cases: int) -> None:
    rng = random.Random(seed)
    gen = catalog.create()
    try:
        by_case = apply_random_cases(gen, rng, cases, alter=_received_later)
        _assert_queue_as_of(gen, by_case, rng, monkeypatch, sorts=("newest", "oldest"))
    finally:
        catalog.drop(gen.id, gen.location)


test_the_queue_as_of_sorted_by_received_time_holds_cases_received_after_their_event_time_15_examples = full_run(
    test_the_queue_as_of_sorted_by_received_time_holds_cases_received_after_their_event_time, 15, **DRAWS)
