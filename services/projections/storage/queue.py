"""The queue's filters, sort orders and keyset cursors as SQL on the cases table (the live queue).

The same rules in Python, and the filter and cursor types, are `complaints.readmodel.queue`
(which serves `as_of`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, not_, or_, true

from complaints.readmodel.queue import SORTS, Cursor, QueueFilter
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


def sql_where(t: Tables, f: QueueFilter, now: datetime, table: Table | None = None) -> list[ColumnElement[bool]]:
    c = (t.cases if table is None else table).c
    out = sql_fixed(t, f, table)
    if f.status:
        out.append(c.status.in_(f.status))
    if f.open is not None:
        out.append(c.status != "closed" if f.open else c.status == "closed")
    for col, value in ((c.level, f.level), (c.department, f.department), (c.assignee, f.assignee)):
        if value is not None:
            out.append(col == value)
    if f.unassigned is not None:
        out.append(c.assignee.is_(None) if f.unassigned else c.assignee.is_not(None))
    if f.breached is not None:
        late = and_(c.due_at.is_not(None), c.due_at < naive(now))  # due_at is set only while awaiting
        breached = or_(c.breached == true(), late)
        out.append(breached if f.breached else not_(breached))
    return out


def sql_order(t: Tables, sort: str, table: Table | None = None) -> list[Any]:
    """The order of the cases that have a sort value (`sql_phases` puts the others last, by id)."""
    col_name, desc = SORTS[sort]
    c = (t.cases if table is None else table).c
    return [c[col_name].desc() if desc else c[col_name].asc(), c.complaint_id.asc()]


def sql_phases(t: Tables, sort: str, cursor: Cursor | None, table: Table | None = None,
               ) -> list[tuple[list[ColumnElement[bool]], list[Any]]]:
    """A page in two index-ordered scans: the cases with a sort value in its order, then those without, by id.

    (One `ORDER BY col IS NULL, col` would sort every matching row: no index has that order.)
    Each phase is (conditions, order); a cursor resumes inside the phase it ended in."""
    col_name, desc = SORTS[sort]
    c = (t.cases if table is None else table).c
    col, cid = c[col_name], c.complaint_id
    valued: list[ColumnElement[bool]] = [col.is_not(None)]
    blank: list[ColumnElement[bool]] = [col.is_(None)]
    if cursor is not None and cursor.value is None:
        return [([*blank, cid > cursor.complaint_id], [cid.asc()])]
    if cursor is not None:
        value = naive(cursor.value)
        valued.append(or_(col < value if desc else col > value, and_(col == value, cid > cursor.complaint_id)))
    return [(valued, sql_order(t, sort, table)), (blank, [cid.asc()])]
