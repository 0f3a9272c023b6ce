"""One page of the queue `as_of` a moment, read from the valid-time versions (`storage/versions.py`).

The versions valid at T, filtered and sorted by the live queue's own SQL (`storage/queue.py`, on the
versions table), give up to limit+1 ids; `queries.list_cases_at` folds those cases as of T.

A sort by received time walks the (received_at, id) index in order. Unbounded, that walk passes every
version of every case received after T before it finds (newest) or gives up looking for (oldest, a
selective filter) the page: the further back T, the longer (2 s near the start of a 1M-case history).
So each walk is bounded by the moment: a version valid at T began at or before T (valid_from <= T), and
its received_at is the received event's own received time, which is at or before that event's time,
itself at or before valid_from: received_at <= T. The walk starts (newest) or stops (oldest) at T.

The bound is exact whatever the events say: a version whose received_at is later than its valid_from
(a received event dated after its own event time, by another producer or a skewed clock) is read by a
second walk of its own small partial index (`tables.py` `ix_versions_<g>_late_received`, normally
empty), and the two walks are merged in the sort's order. Both are `storage/queue.py` index range reads.

A walk in the due order, or of a selective filter, can still find fewer than a page near the start of
the history and then walks the whole index. So a moment with at most `FEW` events at or before it
(counted on the timeline's time index) reads its versions alone: those of the cases with an event by
then (primary key reads; every version valid at T began at one of its case's events, at or before T),
filtered and sorted by the same SQL over those few rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CTE, ColumnElement, Connection, Select, Table, func, select, union_all

from complaints.readmodel.queue import SORTS, Cursor, QueueFilter
from services.projections.storage.codec import naive
from services.projections.storage.queue import Phase, ordering, sql_phases, sql_where
from services.projections.storage.store import Generation

#: A moment with at most this many events at or before it is read from its cases' versions alone.
FEW = 20_000


def late_received(v: Table) -> ColumnElement[bool]:
    """The versions whose received time is after their valid_from (the partial index's condition, verbatim:
    SQLite uses a partial index only for a query that states its condition)."""
    return v.c.received_at > v.c.valid_from


def moment_bounds(v: Table, sort: str, valued: bool, moment: datetime) -> list[list[ColumnElement[bool]]]:
    """The walks (extra conditions each) whose union is the phase's versions valid at `moment`: one bounded
    by the moment and one of the late received ones, for a phase of received times (`valued`); else one."""
    if SORTS[sort][0] != "received_at" or not valued:
        return [[]]
    col = v.c.received_at
    return [[col <= moment], [late_received(v), col > moment]]


def _few_before(conn: Connection, gen: Generation, moment: datetime) -> bool:
    t = gen.tables.timeline
    upto = select(t.c.time).where(t.c.time <= moment).limit(FEW + 1).subquery()
    return int(conn.execute(select(func.count()).select_from(upto)).scalar_one()) <= FEW


def _early(gen: Generation, moment: datetime) -> CTE:
    """The versions valid at `moment` of the cases with an event by then. MATERIALIZED: read first, then
    sorted; merged into the outer query, a planner may walk a sort index over every version instead."""
    v, t = gen.tables.versions, gen.tables.timeline
    cases = select(t.c.complaint_id).where(t.c.time <= moment)
    return (select(v).where(v.c.complaint_id.in_(cases), v.c.valid_from <= moment, v.c.valid_to > moment)
            .cte("early").prefix_with("MATERIALIZED"))


def _walk(v: Table, where: list[ColumnElement[bool]], phase: Phase, limit: int,
          bounds: list[list[ColumnElement[bool]]]) -> Select[Any]:
    def one(names: list[str], *extra: ColumnElement[bool]) -> Select[Any]:
        return select(*(v.c[n] for n in names)).where(*where, *extra).order_by(*ordering(v.c, phase)).limit(limit)

    if len(bounds) == 1:
        return one(["complaint_id"], *bounds[0])
    names = list(dict.fromkeys(["complaint_id", *(name for name, _ in phase.order)]))
    merged = union_all(*(select(one(names, *extra).subquery()) for extra in bounds)).subquery()
    return select(merged.c.complaint_id).order_by(*ordering(merged.c, phase)).limit(limit)


def page_at(gen: Generation, f: QueueFilter, sort: str, cursor: Cursor | None, limit: int,
            as_of: datetime, bounded: bool = True) -> list[str]:
    """Up to limit+1 ids of the queue's page as it stood at `as_of` (the versions valid then).

    `bounded=False`: the plain walks, without the moment's bounds or the early read (the bench's A/B; the
    same answer)."""
    moment = naive(as_of)
    assert moment is not None
    # sql_phases: [with a sort value, without] or, after a cursor without a value, only the latter
    valued_first = cursor is None or cursor.value is not None
    ids: list[str] = []
    with gen.reads.connect() as conn:
        early = bounded and _few_before(conn, gen, moment)
        # the versions valid then: all of them, or the few cases' (any FROM with the versions' columns)
        v = cast(Table, _early(gen, moment)) if early else gen.tables.versions
        valid = [] if early else [v.c.valid_from <= moment, v.c.valid_to > moment]
        for i, phase in enumerate(sql_phases(gen.tables, sort, cursor, v)):
            where = [*valid, *sql_where(gen.tables, f, as_of, v, due=phase.due), *phase.conditions]
            bounds = moment_bounds(v, sort, valued_first and i == 0, moment) if bounded and not early else [[]]
            ids += conn.execute(_walk(v, where, phase, limit + 1 - len(ids), bounds)).scalars()
            if len(ids) > limit:
                break
    return ids
