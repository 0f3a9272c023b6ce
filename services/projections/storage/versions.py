"""Valid-time versions of the cases' queue columns: written with each batch, read for the queue `as_of`.

A version row is a case's queue columns (`codec.QUEUE_COLUMNS`) from `valid_from` (the time of the events
that made it) until `valid_to` (the next version's valid_from; `OPEN` for the current one), per
`complaints.readmodel.validtime`. A batch either appends versions to a case (closing its current one) or,
when its new events do not extend the case in time order, replaces all of the case's versions.

The queue as of T reads one page of the versions valid at T: `storage/asofpage.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, Table, select

from complaints.readmodel.casedoc import Doc
from services.projections.storage.codec import QUEUE_COLUMNS, Times, queue_values
from services.projections.storage.sqlwrite import insert_rows

OPEN = datetime(9999, 12, 31)
COLUMNS = ("complaint_id", "valid_from", "valid_to", *QUEUE_COLUMNS)  # of `VersionChanges.rows`


@dataclass
class VersionChanges:
    replace: set[str] = field(default_factory=set)  # cases whose versions are all rewritten
    #: (case, its current version's valid_from, when that version ends now)
    close: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def add(self, cid: str, steps: list[tuple[datetime, Doc]], times: Times, replace: bool,
            current: datetime | None = None) -> None:
        """The case's versions from these (valid from, doc) steps on; `replace`: they are all of them, else
        `current` is the valid_from of the case's current version (the time of its latest event; None: new)."""
        if not steps:
            return
        if replace:
            self.replace.add(cid)
        elif current is not None:
            self.close.append((cid, current, steps[0][0]))
        ends = [moment for moment, _ in steps[1:]] + [OPEN]
        for (moment, doc), end in zip(steps, ends, strict=True):
            self.rows.append((cid, times.of(moment), times.of(end), *queue_values(doc, times)))


@lru_cache(maxsize=16)
def _statements(dialect: Dialect, table: Table) -> tuple[str, str, str]:
    quote = dialect.identifier_preparer.quote
    name = dialect.identifier_preparer.format_table(table)
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    cid, start, end = (quote(c) for c in COLUMNS[:3])
    return (  # by primary key (complaint_id, valid_from)
        f"DELETE FROM {name} WHERE {cid} = {mark}",
        f"DELETE FROM {name} WHERE {cid} = {mark} AND {start} = {mark}",
        f"UPDATE {name} SET {end} = {mark} WHERE {cid} = {mark} AND {start} = {mark}",
    )


def write_versions(conn: Connection, table: Table, changes: VersionChanges, times: Times) -> None:
    if not changes.rows:
        return
    drop_all, drop_current, close = _statements(conn.dialect, table)
    if changes.replace:
        conn.exec_driver_sql(drop_all, [(cid,) for cid in sorted(changes.replace)])
    if changes.close:
        # New events at the very time of the current version make a new state for that time: it replaces it.
        same = [(cid, times.of(current)) for cid, current, start in changes.close if start == current]
        if same:
            conn.exec_driver_sql(drop_current, same)
        later = [(times.of(start), cid, times.of(current)) for cid, current, start in changes.close if start != current]
        if later:
            conn.exec_driver_sql(close, later)
    insert_rows(conn, table, COLUMNS, changes.rows)


def all_rows(conn: Connection, table: Table) -> list[tuple[Any, ...]]:
    """Every version, in key order (replay == live comparisons)."""
    return [tuple(r) for r in conn.execute(select(table).order_by(table.c.complaint_id, table.c.valid_from))]
