"""The queue's filters, sort orders and keyset cursors as SQL on the cases table (the live queue).

The same rules in Python, and the filter and cursor types, are `complaints.readmodel.queue`
(which serves `as_of`). A page is read in phases (`sql_phases`), each an index range read in order
(`sql_page`): no statement sorts more than the page's few rows, whatever the number of cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    false,
    or_,
    select,
    true,
    union_all,
)

from complaints.readmodel.queue import CAN_BE_DUE, EPOCH, SORTS, Cursor, QueueFilter, admitted_statuses
from services.projections.storage.codec import naive
from services.projections.storage.tables import Tables


def sql_fixed(t: Tables, f: QueueFilter, table: Table | None = None) -> list[ColumnElement[bool]]:
    """The filter's conditions on what intake fixed (channel, customer, received time): true at any `as_of`.

    `table`: the cases table (default) or another with its queue columns (the valid-time versions)."""
    c = (t.cases if table is None else table).c
    out: list[ColumnElement[bool]] = []
    for col, value in ((c.channel, f.channel), (c.customer_ref, f.customer)):
        if value is not None:
            out.append(col == value)
    if f.received_from is not None:
        out.append(c.received_at >= naive(f.received_from))
    if f.received_to is not None:
        out.append(c.received_at < naive(f.received_to))
    return out


def sql_where(t: Tables, f: QueueFilter, now: datetime | BindParameter[Any], table: Table | None = None, *,
              due: bool | None = None, statuses: bool = True) -> list[ColumnElement[bool]]:
    """The filter as conditions. `due`: what the caller's phase fixes (True: due_at is set, False: it is not),
    so the breach test is written as the range or equality an index can use; `statuses=False` leaves the
    status out (`sql_page` reads one status at a time)."""
    c = (t.cases if table is None else table).c
    out = sql_fixed(t, f, table)
    admitted = admitted_statuses(f)
    if statuses and admitted is not None:
        out.append(c.status.in_(admitted) if admitted else false())
    for col, value in ((c.level, f.level), (c.department, f.department), (c.assignee, f.assignee)):
        if value is not None:
            out.append(col == value)
    if f.unassigned is not None:
        out.append(c.assignee.is_(None) if f.unassigned else c.assignee.is_not(None))
    if f.breached is not None:
        at = naive(now) if isinstance(now, datetime) else now
        out.append(_breached(c, at, due) if f.breached else _not_breached(c, at, due))
    return out


def _breached(c: Any, now: Any, due: bool | None) -> ColumnElement[bool]:
    """Breached: flagged, or due and unanswered (due_at is set only while a first response is awaited)."""
    flagged = c.breached == true()
    if due is False:
        return flagged
    late = c.due_at < now if due else and_(c.due_at.is_not(None), c.due_at < now)
    return or_(flagged, late)


def _not_breached(c: Any, now: Any, due: bool | None) -> ColumnElement[bool]:
    """`not_(_breached(...))` with the negation pushed inside (SQLite takes `due_at >= now` as an index range
    only so; the scan of the awaiting cases walked all of them)."""
    unflagged = c.breached == false()
    if due is False:
        return unflagged
    return and_(unflagged, c.due_at >= now if due else or_(c.due_at.is_(None), c.due_at >= now))


@dataclass(frozen=True)
class Phase:
    """One index-ordered scan of a page: its conditions, its order ((column, descending)...), what it fixes
    about due_at (for `sql_where`)."""

    conditions: list[ColumnElement[bool]]
    order: tuple[tuple[str, bool], ...]
    due: bool | None


def sql_phases(t: Tables, sort: str, cursor: Cursor | None, table: Table | None = None, bound: bool = False,
               ) -> list[Phase]:
    """A page in two index-ordered scans: the cases with a sort value in its order, then those without, by id.

    (One `ORDER BY col IS NULL, col` would sort every matching row: no index has that order.) The second
    scan orders by `col, id` although col is NULL throughout: PostgreSQL does not take `col IS NULL` as
    fixing col, and would sort every such row by id instead of reading the (…, col, id) index in order.
    A cursor resumes inside the phase it ended in (`bound`: its value and id as the parameters `after_value`,
    `after_id`, for `page_statements`)."""
    col_name, desc = SORTS[sort]
    c = (t.cases if table is None else table).c
    col, cid = c[col_name], c.complaint_id
    after_id: Any = bindparam("after_id") if bound else (cursor.complaint_id if cursor else None)
    is_due = col_name == "due_at"
    valued: list[ColumnElement[bool]] = [col.is_not(None)]
    blank_order = ((col_name, False), ("complaint_id", False))
    blank = Phase([col.is_(None)], blank_order, False if is_due else None)
    if cursor is not None and cursor.value is None:
        return [Phase([*blank.conditions, cid > after_id], blank_order, blank.due)]
    if cursor is not None:  # the range first (an index bound), then the exact keyset condition
        value: Any = bindparam("after_value") if bound else naive(cursor.value)
        valued += [col <= value if desc else col >= value,
                   or_(col < value if desc else col > value, and_(col == value, cid > after_id))]
    return [Phase(valued, ((col_name, desc), ("complaint_id", False)), True if is_due else None), blank]


def _led_by_another_index(f: QueueFilter) -> bool:
    """An equality filter with its own (column, sort, id) index: that index leads the scan and the status is a
    filter on it; read one status at a time, a rare status would walk that whole index once per status."""
    return any(v is not None for v in (f.level, f.department, f.channel, f.customer, f.assignee)) or bool(
        f.unassigned)


def ordering(cols: Any, phase: Phase) -> list[Any]:
    """The phase's ORDER BY on these columns (a table's or a subquery's)."""
    return [cols[name].desc() if desc else cols[name].asc() for name, desc in phase.order]


def sql_page(t: Tables, f: QueueFilter, now: datetime | BindParameter[Any], phase: Phase, columns: Sequence[str],
             limit: int | BindParameter[Any], table: Table | None = None) -> Select[Any]:
    """Up to `limit` rows (`columns`) of one phase. Several statuses (`status=a&status=b`, `open=true`) are
    read one status at a time, each in the (status, sort, id) index's order, and merged: ≤ limit rows each
    (unless another filter's index leads, `_led_by_another_index`)."""
    src = t.cases if table is None else table
    where = [*sql_where(t, f, now, table, due=phase.due, statuses=False), *phase.conditions]
    names = list(dict.fromkeys([*columns, *(name for name, _ in phase.order)]))

    def one(*extra: ColumnElement[bool]) -> Select[Any]:
        return select(*(src.c[n] for n in names)).where(*where, *extra).order_by(*ordering(src.c, phase)).limit(limit)

    admitted = admitted_statuses(f)
    if phase.due and admitted is not None:  # the scan of due times: a closed case has none (else a whole walk)
        admitted = tuple(s for s in admitted if s in CAN_BE_DUE)
    if admitted is None or _led_by_another_index(f):
        return one(*([] if admitted is None else [src.c.status.in_(admitted) if admitted else false()]))
    if len(admitted) <= 1:
        return one(src.c.status == admitted[0] if admitted else false())
    merged = union_all(*(select(one(src.c.status == s).subquery()) for s in admitted)).subquery()
    return select(*(merged.c[n] for n in names)).order_by(*ordering(merged.c, phase)).limit(limit)


@lru_cache(maxsize=512)
def page_statements(t: Tables, f: QueueFilter, sort: str, after: bool | None, columns: tuple[str, ...],
                    ) -> tuple[Select[Any], ...]:
    """The live queue's statements for a filter, sort and kind of cursor (`after`: None: none, True: one with
    a sort value, False: one without), built once; the moment, the cursor and the row count are bound
    (`page_params`). Building them cost more than running them."""
    cursor = None if after is None else Cursor(sort, EPOCH if after else None, "")
    return tuple(sql_page(t, f, bindparam("now"), phase, columns, bindparam("n"))
                 for phase in sql_phases(t, sort, cursor, bound=True))


def page_params(now: datetime, cursor: Cursor | None, n: int) -> dict[str, Any]:
    return {"now": naive(now), "n": n, "after_value": naive(cursor.value) if cursor else None,
            "after_id": cursor.complaint_id if cursor else None}
