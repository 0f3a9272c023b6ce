"""Queue filters, sort orders and keyset cursors, in Python — pure, no I/O.

The live queue runs the same rules as SQL (`services.projections.storage.queue`); this
module serves `as_of` (cases folded from the timeline) and defines the filter and cursor.
Sorts put cases without a value last and break ties by complaint id, so a cursor
(`sort`, last value, last id) resumes exactly where the previous page ended.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from complaints.readmodel.fold import effective_sla
from complaints.readmodel.model import STATUSES, Case, Status, utc
from complaints.readmodel.summary import QueueItem

Sort = Literal["urgency", "newest", "oldest"]
#: sort -> (cases column, descending)
SORTS: dict[str, tuple[str, bool]] = {"urgency": ("due_at", False), "newest": ("received_at", True),
                                      "oldest": ("received_at", False)}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class QueueFilter:
    status: tuple[Status, ...] = ()
    open: bool | None = None
    level: str | None = None
    department: str | None = None
    channel: str | None = None
    breached: bool | None = None
    customer: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    assignee: str | None = None  # cases this member of staff works
    unassigned: bool | None = None  # true: nobody works it; false: someone does


@dataclass(frozen=True)
class Cursor:
    sort: str
    value: datetime | None
    complaint_id: str

    def encode(self) -> str:
        raw = json.dumps([self.sort, self.value.isoformat() if self.value else None, self.complaint_id])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, sort: str) -> Cursor:
        try:
            raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            got, value, cid = raw
            parsed = cls(str(got), utc(datetime.fromisoformat(value)) if value else None, str(cid))
        except (ValueError, TypeError, binascii.Error) as exc:
            raise BadCursor("not a cursor this API issued") from exc
        if parsed.sort != sort:
            raise BadCursor(f"this cursor belongs to sort={parsed.sort!r}, not {sort!r}")
        return parsed


def sort_value(case: Case | QueueItem, sort: str) -> datetime | None:
    if SORTS[sort][0] == "due_at":
        return case.sla.due_at if case.sla.awaiting_response else None
    return case.received_at


#: The statuses in which a case can await its first response, the only time it has a due time that orders the
#: queue by urgency (`casedoc`: awaiting = not closed and not yet answered; `lifecycle.status_of`: closed ⇔
#: "closed"). The urgency sort's due-time scan skips the others.
CAN_BE_DUE: tuple[Status, ...] = tuple(s for s in STATUSES if s != "closed")


def admitted_statuses(f: QueueFilter) -> tuple[Status, ...] | None:
    """The statuses the filter lets through (`status` and `open` together); None: any status."""
    if not f.status and f.open is None:
        return None
    return tuple(s for s in STATUSES
                 if (not f.status or s in f.status) and (f.open is None or (s != "closed") == f.open))


def matches(case: Case, f: QueueFilter, now: datetime) -> bool:
    admitted = admitted_statuses(f)
    if admitted is not None and case.status not in admitted:
        return False
    for have, want in ((case.level, f.level), (case.department, f.department), (case.channel, f.channel),
                       (case.customer_ref, f.customer), (case.assignee, f.assignee)):
        if want is not None and have != want:
            return False
    if f.received_from is not None and (case.received_at is None or case.received_at < f.received_from):
        return False
    if f.received_to is not None and (case.received_at is None or case.received_at >= f.received_to):
        return False
    if f.unassigned is not None and (case.assignee is None) != f.unassigned:
        return False
    return f.breached is None or effective_sla(case, now).breached == f.breached


def py_key(case: Case, sort: str) -> tuple[bool, int, str]:
    return _key(sort_value(case, sort), case.complaint_id, sort)


def _key(value: datetime | None, cid: str, sort: str) -> tuple[bool, int, str]:
    if value is None:
        return (True, 0, cid)
    micros = (value - EPOCH) // timedelta(microseconds=1)
    return (False, -micros if SORTS[sort][1] else micros, cid)


def page(cases: list[Case], sort: str, cursor: Cursor | None, limit: int) -> tuple[list[Case], Cursor | None]:
    ordered = sorted(cases, key=lambda c: py_key(c, sort))
    if cursor is not None:
        floor = _key(cursor.value, cursor.complaint_id, sort)
        ordered = [c for c in ordered if py_key(c, sort) > floor]
    return ordered[:limit], next_cursor(ordered, sort, limit)


def next_cursor(ordered: Sequence[Case | QueueItem], sort: str, limit: int) -> Cursor | None:
    """A cursor after the page's last case, if more cases follow (`ordered` holds at least limit+1)."""
    if len(ordered) <= limit:
        return None
    last = ordered[limit - 1]
    return Cursor(sort, sort_value(last, sort), last.complaint_id)
