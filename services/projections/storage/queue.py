"""The queue's filters, sort orders and keyset cursors as SQL on the cases table (the live queue).

The same rules in Python, and the filter and cursor types, are `complaints.readmodel.queue`
(which serves `as_of`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_, true

from complaints.readmodel.queue import SORTS, Cursor, QueueFilter
from services.projections.storage.codec import naive
from services.projections.storage.tables import Tables


def sql_fixed(t: Tables, f: QueueFilter) -> list[ColumnElement[bool]]:
    """The filter's conditions on what intake fixed (channel, customer, received time): true at any `as_of`."""
    c = t.cases.c
    out: list[ColumnElement[bool]] = []
    for col, value in ((c.channel, f.channel), (c.customer_ref, f.customer)):
        if value is not None:
            out.append(col == value)
    if f.received_from is not None:
        out.append(c.received_at >= naive(f.received_from))
    if f.received_to is not None:
        out.append(c.received_at < naive(f.received_to))
    return out


def sql_where(t: Tables, f: QueueFilter, now: datetime) -> list[ColumnElement[bool]]:
    c = t.cases.c
    out = sql_fixed(t, f)
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


def sql_order(t: Tables, sort: str) -> list[Any]:
    col_name, desc = SORTS[sort]
    col = t.cases.c[col_name]
    return [col.is_(None), col.desc() if desc else col.asc(), t.cases.c.complaint_id.asc()]


def sql_after(t: Tables, cursor: Cursor) -> ColumnElement[bool]:
    col_name, desc = SORTS[cursor.sort]
    col, cid = t.cases.c[col_name], t.cases.c.complaint_id
    if cursor.value is None:
        return and_(col.is_(None), cid > cursor.complaint_id)
    value = naive(cursor.value)
    beyond = col < value if desc else col > value
    return or_(beyond, and_(col == value, cid > cursor.complaint_id), col.is_(None))
