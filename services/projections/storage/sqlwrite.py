"""Set-based writes of one batch: one statement per table per batch, the same SQL on SQLite and PostgreSQL.

The big tables (timeline, cases, and the KPI tallies and versions beside them) are written straight
through the driver from value tuples (`codec.TIMELINE_COLUMNS`, `codec.CASE_COLUMNS`) by `insert_rows`:
SQLAlchemy's per-row parameter processing cost more than the database's own work. Times go in as each database stores
them through SQLAlchemy (`codec.SqliteTimes`), so its reads compare them the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Connection, Dialect, Table, bindparam, insert, select, update

from services.projections.storage.codec import CASE_COLUMNS, TIMELINE_COLUMNS, SqliteTimes, Times, chunks
from services.projections.storage.tables import Tables


class Positioned(Protocol):
    """A consumed record's place in the log (what the offsets table records)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...


@dataclass(frozen=True)
class Statements:
    """One generation's write statements, as this connection's driver takes them."""

    times: Times
    timeline: Table
    cases: Table
    upsert_cases: str  # the ON CONFLICT clause of the cases' rows


def statements(conn: Connection, t: Tables) -> Statements:
    return _statements(conn.dialect, t.timeline, t.cases)


@lru_cache(maxsize=16)
def _statements(dialect: Dialect, timeline: Table, cases: Table) -> Statements:
    quote = dialect.identifier_preparer.quote
    upsert = (f"ON CONFLICT ({quote('complaint_id')}) DO UPDATE SET "
              + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in CASE_COLUMNS if c != "complaint_id"))
    return Statements(SqliteTimes() if dialect.name == "sqlite" else Times(), timeline, cases, upsert)


@dataclass(frozen=True)
class _Bulk:
    """How value tuples go into a table: SQLite, one INSERT run per row (`each`); PostgreSQL, by COPY, straight
    in or, when rows may clash with stored ones (`conflict`), through a temporary stage table (`stage`) and
    one INSERT ... SELECT (`apply`). As single-row statements, even pipelined, the server parsed and planned
    every row."""

    each: str = ""
    copy: str = ""
    stage: str = ""
    apply: str = ""


@lru_cache(maxsize=64)
def _bulk(dialect: Dialect, table: Table, columns: tuple[str, ...], conflict: str) -> _Bulk:
    prep = dialect.identifier_preparer
    name, cols = prep.format_table(table), ", ".join(prep.quote(c) for c in columns)
    if dialect.name != "postgresql":
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        return _Bulk(each=f"INSERT INTO {name} ({cols}) VALUES ({', '.join([mark] * len(columns))}) {conflict}")
    if not conflict:
        return _Bulk(copy=f"COPY {name} ({cols}) FROM STDIN")
    stage = prep.quote(f"{table.name}_stage")  # per generation: its tables' shape
    return _Bulk(copy=f"COPY {stage} ({cols}) FROM STDIN",
                 stage=f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} (LIKE {name}) ON COMMIT DELETE ROWS",
                 apply=f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {stage} {conflict}")


def insert_rows(conn: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]],
                conflict: str = "") -> None:
    """Insert these value tuples (in `columns` order) in bulk; `conflict`: the ON CONFLICT clause, if any."""
    if not rows:
        return
    bulk = _bulk(conn.dialect, table, columns, conflict)
    if bulk.each:
        conn.exec_driver_sql(bulk.each, list(rows))
        return
    if bulk.stage:
        conn.exec_driver_sql(bulk.stage)
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cur, cur.copy(bulk.copy) as copy:
        for row in rows:
            copy.write_row(row)
    if bulk.apply:
        conn.exec_driver_sql(bulk.apply)


def existing_events(conn: Connection, t: Tables, event_ids: Sequence[str]) -> set[str]:
    """Which of these event ids the timeline holds already."""
    seen: set[str] = set()
    for part in chunks(event_ids):
        seen.update(conn.execute(select(t.timeline.c.event_id).where(t.timeline.c.event_id.in_(part))).scalars())
    return seen


def insert_timeline(conn: Connection, sql: Statements, rows: list[tuple[Any, ...]]) -> None:
    insert_rows(conn, sql.timeline, TIMELINE_COLUMNS, rows)


def load_cases(conn: Connection, t: Tables, ids: Sequence[str]) -> dict[str, str]:
    docs: dict[str, str] = {}
    for part in chunks(ids):
        rows = conn.execute(select(t.cases.c.complaint_id, t.cases.c.doc).where(t.cases.c.complaint_id.in_(part)))
        docs.update({r.complaint_id: r.doc for r in rows})
    return docs


def write_cases(conn: Connection, sql: Statements, rows: list[tuple[Any, ...]]) -> None:
    insert_rows(conn, sql.cases, CASE_COLUMNS, rows, sql.upsert_cases)


def stored_offsets(conn: Connection, t: Tables) -> dict[tuple[str, int], int]:
    """The next offset to apply per (topic, partition), as stored with the changes."""
    return {(r.topic, r.partition): r.next_offset for r in conn.execute(select(t.offsets))}


def write_offsets(conn: Connection, t: Tables, fresh: Sequence[Positioned], stored: dict[tuple[str, int], int]) -> None:
    nexts: dict[tuple[str, int], int] = {}
    for i in fresh:
        nexts[(i.topic, i.partition)] = max(nexts.get((i.topic, i.partition), 0), i.offset + 1)
    ins = [{"topic": tp[0], "partition": tp[1], "next_offset": n} for tp, n in nexts.items() if tp not in stored]
    upd = [{"b_topic": tp[0], "b_partition": tp[1], "next_offset": n} for tp, n in nexts.items() if tp in stored]
    if ins:
        conn.execute(insert(t.offsets), ins)
    if upd:
        o = t.offsets.c
        conn.execute(update(t.offsets).where(o.topic == bindparam("b_topic"), o.partition == bindparam("b_partition")),
                     upd)


def add_counters(conn: Connection, t: Tables, counts: Counter[str]) -> None:
    names = [n for n, v in counts.items() if v]
    if not names:
        return
    have = set(conn.execute(select(t.counters.c.name).where(t.counters.c.name.in_(names))).scalars())
    c = t.counters.c
    ins: list[dict[str, Any]] = [{"name": n, "value": counts[n]} for n in names if n not in have]
    upd = [{"b_name": n, "inc": counts[n]} for n in names if n in have]
    if ins:
        conn.execute(insert(t.counters), ins)
    if upd:
        conn.execute(update(t.counters).where(c.name == bindparam("b_name")).values(value=c.value + bindparam("inc")),
                     upd)
