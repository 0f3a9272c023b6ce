"""Reads of one generation: case views, queues, KPI inputs, offsets and counters.

`as_of` reads never touch the `cases` table's state: they fold the timeline's events
up to that moment with the same pure projector the live path uses; the queue `as_of` finds
its page in the valid-time versions (`storage/asofpage.py`) first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select

from complaints.envelope import Envelope
from complaints.readmodel.casedoc import FirstResponse
from complaints.readmodel.fold import fold
from complaints.readmodel.model import Case, TimelineEntry
from complaints.readmodel.order import entry_key
from complaints.readmodel.queue import Cursor, QueueFilter, next_cursor
from complaints.readmodel.summary import QueueItem
from services.projections.storage.asofpage import page_at
from services.projections.storage.codec import envelope_from_row, naive
from services.projections.storage.queue import page_params, page_statements, sql_fixed
from services.projections.storage.sqlwrite import stored_offsets
from services.projections.storage.store import Generation


def offsets(gen: Generation) -> dict[tuple[str, int], int]:
    with gen.reads.connect() as conn:
        return stored_offsets(conn, gen.tables)


def counters(gen: Generation) -> dict[str, int]:
    with gen.reads.connect() as conn:
        return {r.name: r.value for r in conn.execute(select(gen.tables.counters)) if r.name != "batches"}


def get_case(gen: Generation, complaint_id: str) -> tuple[Case, list[TimelineEntry]] | None:
    t = gen.tables
    with gen.reads.connect() as conn:
        doc = conn.execute(select(t.cases.c.doc).where(t.cases.c.complaint_id == complaint_id)).scalar()
        if doc is None:
            return None
        entries = [TimelineEntry.model_validate_json(e) for e in
                   conn.execute(select(t.timeline.c.entry).where(t.timeline.c.complaint_id == complaint_id)).scalars()]
    return Case.model_validate_json(doc), sorted(entries, key=entry_key)


def case_at(gen: Generation, complaint_id: str, as_of: datetime, first_response: FirstResponse | None = None,
            ) -> tuple[Case, list[TimelineEntry]] | None:
    t = gen.tables.timeline
    with gen.reads.connect() as conn:
        rows = conn.execute(select(t).where(t.c.complaint_id == complaint_id, t.c.time <= naive(as_of))).all()
    case, entries = fold((envelope_from_row(r) for r in rows), first_response)
    return None if case is None else (case, entries)


def list_cases(gen: Generation, f: QueueFilter, sort: str, cursor: Cursor | None, limit: int,
               now: datetime) -> tuple[list[QueueItem], Cursor | None]:
    """A page of the live queue: the rows' summaries only (`cases.summary`), never the whole case documents."""
    t = gen.tables
    rows: list[str] = []
    with gen.reads.connect() as conn:
        kind = None if cursor is None else cursor.value is not None
        for statement in page_statements(t, f, sort, kind, ("summary",)):
            rows += (r.summary for r in conn.execute(statement, page_params(now, cursor, limit + 1 - len(rows))))
            if len(rows) > limit:
                break
    items = [QueueItem.model_validate_json(r) for r in rows]
    return items[:limit], next_cursor(items, sort, limit)


def list_cases_at(gen: Generation, f: QueueFilter, sort: str, cursor: Cursor | None, limit: int,
                  as_of: datetime, first_response: FirstResponse | None = None) -> tuple[list[Case], Cursor | None]:
    """The queue as it stood at `as_of`: a page of the versions valid then, those cases folded as of then."""
    ids = page_at(gen, f, sort, cursor, limit, as_of)
    t = gen.tables.timeline
    grouped: dict[str, list[tuple[Envelope, str]]] = defaultdict(list)
    with gen.reads.connect() as conn:
        for row in conn.execute(select(t).where(t.c.complaint_id.in_(ids), t.c.time <= naive(as_of))):
            grouped[row.complaint_id].append(envelope_from_row(row))
    folded = (fold(grouped[cid], first_response)[0] for cid in ids)
    cases = [case for case in folded if case is not None]
    return cases[:limit], next_cursor(cases, sort, limit)


def kpi_cases(gen: Generation, received_from: datetime | None, received_to: datetime | None,
              channel: str | None) -> Iterator[Case]:
    c = gen.tables.cases.c
    cohort = QueueFilter(channel=channel, received_from=received_from, received_to=received_to)
    where = [c.received_at.is_not(None), *sql_fixed(gen.tables, cohort)]
    with gen.engine.connect() as conn:
        for doc in conn.execute(select(c.doc).where(*where).execution_options(yield_per=1000)).scalars():
            yield Case.model_validate_json(doc)
